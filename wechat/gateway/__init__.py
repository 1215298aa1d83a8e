"""The only code that talks to WeChat, and the only package that imports wechatpy.

`WeChatGateway` takes plain values and returns the dataclasses of its modules, never wechatpy
objects; every failure is one of `wechat.errors` (see that module for what each class means)::

    gateway = WeChatGateway()
    url = gateway.upload_content_image(jpeg_bytes, "photo.jpg")      # for <img src> in content
    cover = gateway.add_image_material(jpeg_bytes, "cover.jpg")      # cover.media_id = thumb
    media_id = gateway.add_draft([ArticleFields(title=..., content=..., thumb_media_id=...)])
    result = gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-7-v1")

Modules: `transport` (HTTP, timeouts, errcodes to wechat.errors), `token` (the access token in
the Django cache, refreshed by one process under a lock), `client` (`WeChatGateway`: token on
each call, one refresh and retry on 40001/40014/42001), the calls by subject (`drafts`: images,
drafts, free publish; `mass`; `followers`: followers, users, tags; `stats`: datacube; `oauth`;
`messages`: template messages; `menu`: the custom menu),
and `crypto` (checking and decrypting callbacks). `settings.WECHAT_API_BASE_URL` replaces
`https://api.weixin.qq.com` in every call, so the emulator sees them all.

Why HTTP through `requests`, and wechatpy for callback crypto only: wechatpy 2.0.0a26 is an
alpha, and bending its client to our needs took four of its private members (`_request` to
rewrite the base URL, including the absolute URLs of its datacube API; `_handle_result` and
`_decode_result` to map errcodes, keep the fields of 45065's answer and refuse non-JSON;
`client._http` for the token fetch), plus a thread-local token so a retry knew which token
failed. Ten of the 23 calls were raw posts already, and the other thirteen are one-line wrappers
of a JSON post or get. Each call is now a path and a body on one small transport: nothing is
tied to an alpha's insides, and an upgrade of wechatpy can only touch `crypto.py`, which uses
`WeChatCrypto` (AES, padding, AppID check of safe-mode bodies) through its public
`decrypt_message`. The web-authorization URL and code exchange are ours too (see `oauth.py`).
"""

from .client import WeChatGateway
from .crypto import callback_decrypt, callback_signature_valid, reply_encrypt
from .drafts import (
    ARTICLES_MAX,
    AUTHOR_MAX_CHARS,
    CONTENT_MAX_BYTES,
    CONTENT_MAX_CHARS,
    DIGEST_MAX_CHARS,
    SOURCE_URL_MAX_BYTES,
    TITLE_MAX_CHARS,
    ArticleFields,
    MaterialResult,
    PublishStatus,
)
from .followers import TAG_MEMBERS_BATCH, USERS_INFO_BATCH, FollowerInfo, FollowerPage, Tag
from .mass import CLIENT_MSG_ID_MAX_BYTES, MassStatus, SendResult
from .menu import ConditionalMenu, MenuState, menu_buttons_check, menu_normalized
from .messages import TEMPLATE_VALUE_MAX_CHARS
from .oauth import OAUTH_HOST
from .qrcode import QR_EXPIRE_MAX_SECONDS, QR_SCENE_STR_MAX_CHARS, QRCode
from .stats import ArticleCounters, ArticleSummary, ArticleTotal, ArticleTotalDay, UserRead
from .token import AccessTokenCache
from .transport import WECHAT_HOST

__all__ = [
    "ARTICLES_MAX",
    "AUTHOR_MAX_CHARS",
    "CLIENT_MSG_ID_MAX_BYTES",
    "CONTENT_MAX_BYTES",
    "CONTENT_MAX_CHARS",
    "DIGEST_MAX_CHARS",
    "OAUTH_HOST",
    "QR_EXPIRE_MAX_SECONDS",
    "QR_SCENE_STR_MAX_CHARS",
    "SOURCE_URL_MAX_BYTES",
    "TAG_MEMBERS_BATCH",
    "TEMPLATE_VALUE_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "USERS_INFO_BATCH",
    "WECHAT_HOST",
    "AccessTokenCache",
    "ArticleCounters",
    "ArticleFields",
    "ArticleSummary",
    "ArticleTotal",
    "ArticleTotalDay",
    "ConditionalMenu",
    "FollowerInfo",
    "FollowerPage",
    "MassStatus",
    "MaterialResult",
    "MenuState",
    "PublishStatus",
    "QRCode",
    "SendResult",
    "Tag",
    "UserRead",
    "WeChatGateway",
    "callback_decrypt",
    "callback_signature_valid",
    "reply_encrypt",
    "menu_buttons_check",
    "menu_normalized",
]
