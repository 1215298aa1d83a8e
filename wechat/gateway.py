"""The only code that talks to WeChat, and the only module that imports wechatpy.

`WeChatGateway` takes plain values and returns the dataclasses below, never wechatpy objects;
every failure is one of `wechat.errors` (see that module for what each class means). Usage::

    gateway = WeChatGateway()
    url = gateway.upload_content_image(jpeg_bytes, "photo.jpg")      # for <img src> in content
    cover = gateway.add_image_material(jpeg_bytes, "cover.jpg")      # cover.media_id = thumb
    media_id = gateway.add_draft([ArticleFields(title=..., content=..., thumb_media_id=...)])
    result = gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-7-v1")

Three things happen in one place here rather than at each call site:

- `settings.WECHAT_API_BASE_URL` replaces `https://api.weixin.qq.com` in every URL, including
  the sub-APIs wechatpy builds from absolute URLs (datacube), so the emulator sees every call.
- The access token lives in the Django cache, shared by the web process, the worker and the
  scheduler. When it is missing or WeChat answers 40001/40014/42001, one process refreshes it
  under a cache lock while the others wait and re-read it, and the call is retried once.
  Tokens come from `cgi-bin/stable_token` (normal mode), which returns the same token to every
  caller while it is valid: even a refresh racing past the lock (the file cache's `add` is not
  atomic across processes) cannot invalidate another worker's token.
- WeChat's errcodes, HTTP errors and network failures become `wechat.errors` exceptions.

The callback helpers at the end (`callback_signature_valid`, `callback_decrypt`) check and
decrypt what WeChat pushes to /wechat/callback/.
"""

import contextlib
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from wechatpy import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.oauth import WeChatOAuth

from . import errors
from .urlcheck import wechat_url_or_empty

logger = logging.getLogger(__name__)

WECHAT_HOST = "https://api.weixin.qq.com"
OAUTH_HOST = "https://open.weixin.qq.com"  # where a reader's browser is sent to authorise

# WeChat's limits (CONTRACT.md §4, §7, §8): checked here so a bad article never leaves the site.
TITLE_MAX_CHARS = 32
AUTHOR_MAX_CHARS = 16
DIGEST_MAX_CHARS = 128
CONTENT_MAX_CHARS = 20_000  # exclusive
CONTENT_MAX_BYTES = 1024 * 1024  # exclusive
SOURCE_URL_MAX_BYTES = 1024
ARTICLES_MAX = 8
CLIENT_MSG_ID_MAX_BYTES = 64
USERS_INFO_BATCH = 100
TAG_MEMBERS_BATCH = 50


# Plain data in and out -------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFields:
    """One article of a draft, as draft/add and draft/update take it."""

    title: str
    content: str
    thumb_media_id: str
    author: str = ""
    digest: str = ""
    content_source_url: str = ""
    need_open_comment: int = 0
    only_fans_can_comment: int = 0

    def as_payload(self) -> dict:
        return {
            "article_type": "news",
            "title": self.title,
            "author": self.author,
            "digest": self.digest,
            "content": self.content,
            "content_source_url": self.content_source_url,
            "thumb_media_id": self.thumb_media_id,
            "need_open_comment": int(self.need_open_comment),
            "only_fans_can_comment": int(self.only_fans_can_comment),
        }

    def check(self) -> None:
        """Check WeChat's documented limits. Raises InvalidRequestError with WeChat's errcode."""
        if len(self.title) > TITLE_MAX_CHARS:
            raise errors.InvalidRequestError(45003, "title too long (checked locally)")
        if len(self.author) > AUTHOR_MAX_CHARS:
            raise errors.InvalidRequestError(45110, "author too long (checked locally)")
        if len(self.digest) > DIGEST_MAX_CHARS:
            raise errors.InvalidRequestError(45004, "digest too long (checked locally)")
        if (
            len(self.content) >= CONTENT_MAX_CHARS
            or len(self.content.encode()) >= CONTENT_MAX_BYTES
        ):
            raise errors.InvalidRequestError(45002, "content too long (checked locally)")
        if len(self.content_source_url.encode()) > SOURCE_URL_MAX_BYTES:
            raise errors.InvalidRequestError(45005, "url too long (checked locally)")

    @classmethod
    def from_payload(cls, data: dict) -> "ArticleFields":
        return cls(
            title=data.get("title", ""),
            content=data.get("content", ""),
            thumb_media_id=data.get("thumb_media_id", ""),
            author=data.get("author", ""),
            digest=data.get("digest", ""),
            content_source_url=data.get("content_source_url", ""),
            need_open_comment=int(data.get("need_open_comment", 0) or 0),
            only_fans_can_comment=int(data.get("only_fans_can_comment", 0) or 0),
        )


@dataclass(frozen=True)
class MaterialResult:
    """A permanent image material: `media_id` for thumb_media_id, `url` only shows in WeChat."""

    media_id: str
    url: str


@dataclass(frozen=True)
class PublishStatus:
    """The state of a free-publish job (CONTRACT.md §5.2)."""

    SUCCESS = 0
    PUBLISHING = 1

    publish_id: str
    status: int
    article_id: str = ""
    article_urls: list[str] = field(default_factory=list)
    fail_idx: list[int] = field(default_factory=list)

    @property
    def is_pending(self) -> bool:
        return self.status == self.PUBLISHING

    @property
    def is_success(self) -> bool:
        return self.status == self.SUCCESS


@dataclass(frozen=True)
class SendResult:
    """A mass send WeChat accepted; the outcome arrives later as MASSSENDJOBFINISH."""

    msg_id: str
    msg_data_id: str


@dataclass(frozen=True)
class MassStatus:
    """mass/get: `status` is SEND_SUCCESS, SENDING, SEND_FAIL or DELETE."""

    msg_id: str
    status: str


@dataclass(frozen=True)
class FollowerPage:
    """One page of user/get (or user/tag/get). Pass `next_openid` to get the next page."""

    total: int
    count: int
    openids: list[str]
    next_openid: str

    @property
    def is_last(self) -> bool:
        """True when no further page needs fetching (CONTRACT.md §7.1: any of three signs)."""
        return self.count == 0 or not self.openids or not self.next_openid


@dataclass(frozen=True)
class FollowerInfo:
    """What user/info/batchget still returns (no nickname or avatar since 2021)."""

    openid: str
    subscribed: bool
    language: str = ""
    subscribe_time: int = 0
    unionid: str = ""
    remark: str = ""
    tag_ids: list[int] = field(default_factory=list)
    subscribe_scene: str = ""


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    count: int = 0


@dataclass(frozen=True)
class ArticleCounters:
    """Read, share and favourite counters of one article or one day."""

    int_page_read_user: int = 0
    int_page_read_count: int = 0
    ori_page_read_user: int = 0
    ori_page_read_count: int = 0
    share_user: int = 0
    share_count: int = 0
    add_to_fav_user: int = 0
    add_to_fav_count: int = 0

    @classmethod
    def from_payload(cls, data: dict) -> dict:
        return {name: int(data.get(name, 0) or 0) for name in cls.__dataclass_fields__}


@dataclass(frozen=True)
class ArticleSummary(ArticleCounters):
    """getarticlesummary: one mass-sent article's numbers on `ref_date`."""

    ref_date: str = ""
    msgid: str = ""  # "<msg_data_id>_<article index>"
    title: str = ""

    @property
    def msg_data_id(self) -> str:
        return self.msgid.rsplit("_", 1)[0]

    @property
    def article_index(self) -> int:
        return int(self.msgid.rsplit("_", 1)[1]) if "_" in self.msgid else 1


@dataclass(frozen=True)
class ArticleTotalDay(ArticleCounters):
    stat_date: str = ""
    target_user: int = 0


@dataclass(frozen=True)
class ArticleTotal:
    """getarticletotal: one article sent on `ref_date`, with cumulative numbers per day."""

    ref_date: str
    msgid: str
    title: str
    details: list[ArticleTotalDay]

    @property
    def msg_data_id(self) -> str:
        return self.msgid.rsplit("_", 1)[0]


@dataclass(frozen=True)
class UserRead(ArticleCounters):
    """getuserread: the account's reading on `ref_date` from one `user_source`."""

    ref_date: str = ""
    user_source: int = 99999999


# Access token ----------------------------------------------------------------------------------


class AccessTokenCache:
    """The access token in the Django cache, refreshed by one process at a time.

    `fetch` calls WeChat and returns (token, expires_in). The cache entry expires a little
    before WeChat's token does, so it is renewed before WeChat starts refusing it. The refresh
    lock is `cache.add` (atomic on Redis and the local-memory cache); on the file cache, whose
    `add` checks then writes, it is a lock file created with O_EXCL beside the cache files.
    """

    POLL_SECONDS = 0.05

    def __init__(
        self,
        *,
        app_id: str,
        fetch: Callable[[], tuple[str, int]],
        cache=None,
        lock_timeout: float | None = None,
    ):
        self._cache = cache
        self.key = f"wechat:access_token:{app_id}"
        self.lock_key = f"{self.key}:lock"
        self._fetch = fetch
        self.lock_timeout = lock_timeout or settings.WECHAT_TOKEN_LOCK_TIMEOUT

    @property
    def cache(self):
        # Looked up on each use, so a test's settings.CACHES override is honoured.
        return self._cache or caches["default"]

    def get(self) -> str:
        """The cached token, fetched first when there is none. Raises WeChatError."""
        return self.cache.get(self.key) or self.refresh(stale=None)

    def refresh(self, *, stale: str | None) -> str:
        """A token other than `stale`: another process's fresh one, or one fetched here.

        Raises WeChatError from the fetch, or RetryableError when the lock holder takes longer
        than the lock timeout.
        """
        deadline = time.monotonic() + self.lock_timeout
        while True:
            current = self.cache.get(self.key)
            if current and current != stale:
                return current
            owner = uuid.uuid4().hex
            if self._acquire(owner):
                try:
                    current = self.cache.get(self.key)
                    if current and current != stale:
                        return current
                    token, expires_in = self._fetch()
                    self.cache.set(self.key, token, timeout=self._cache_seconds(expires_in))
                    return token
                finally:
                    self._release(owner)
            if time.monotonic() >= deadline:
                raise errors.RetryableError(None, "timed out waiting for the token refresh lock")
            time.sleep(self.POLL_SECONDS)

    def clear(self) -> None:
        self.cache.delete_many([self.key, self.lock_key])
        if path := self._lock_file():
            path.unlink(missing_ok=True)

    def _lock_file(self) -> Path | None:
        cache = self.cache
        if not isinstance(cache, FileBasedCache):
            return None
        name = hashlib.sha1(self.lock_key.encode()).hexdigest()
        return Path(cache._dir) / f"wechat-token-{name}.lock"  # not *.djcache: never culled

    def _acquire(self, owner: str) -> bool:
        path = self._lock_file()
        if path is None:
            return self.cache.add(self.lock_key, owner, timeout=int(self.lock_timeout) + 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > self.lock_timeout:
                    path.unlink()  # its holder died: the next attempt may take it
            return False
        with os.fdopen(fd, "w") as handle:
            handle.write(owner)
        return True

    def _release(self, owner: str) -> None:
        path = self._lock_file()
        if path is None:
            if self.cache.get(self.lock_key) == owner:
                self.cache.delete(self.lock_key)
            return
        with contextlib.suppress(OSError):
            if path.read_text() == owner:
                path.unlink()

    @staticmethod
    def _cache_seconds(expires_in: int) -> int:
        # Renew 5 minutes early (WeChat's own rollover window), or halfway for short tokens.
        return max(1, expires_in - min(300, expires_in // 2))


# wechatpy, pointed at our base URL, with our errors -------------------------------------------


class _Client(WeChatClient):
    """wechatpy's client with the base URL rewritten, our token cache and our error mapping."""

    def __init__(self, *, app_id: str, secret: str, base_url: str, timeout: float, tokens):
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self._local = threading.local()

    def rewrite_url(self, url: str) -> str:
        if url.startswith(WECHAT_HOST + "/"):
            return self.base_url + url[len(WECHAT_HOST) :]
        return url

    @property
    def access_token(self):
        # The token of the call in progress, so a retry knows exactly which token failed.
        return getattr(self._local, "token", None) or self.tokens.get()

    def use_token(self, token: str | None) -> None:
        self._local.token = token

    def fetch_access_token(self):
        raise NotImplementedError("WeChatGateway fetches tokens through AccessTokenCache")

    def _request(self, method, url_or_endpoint, **kwargs):
        if not url_or_endpoint.startswith(("http://", "https://")):
            api_base_url = kwargs.pop("api_base_url", self.API_BASE_URL)
            url_or_endpoint = f"{api_base_url}{url_or_endpoint}"
        kwargs.pop("api_base_url", None)
        return super()._request(method, self.rewrite_url(url_or_endpoint), **kwargs)

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        result = res if isinstance(res, dict) else self._decode_result(res)
        if not isinstance(result, dict):
            raise errors.RetryableError(None, f"WeChat answered no JSON ({url})")
        _raise_for_errcode(result)
        return result if not result_processor else result_processor(result)


def _raise_for_errcode(result: dict) -> None:
    try:
        errcode = int(result.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        errcode = -1
    if errcode != 0:
        extra = {k: v for k, v in result.items() if k not in ("errcode", "errmsg")}
        raise errors.error_for(errcode, str(result.get("errmsg", "")), **extra)


# The gateway -----------------------------------------------------------------------------------


class WeChatGateway:
    """The only code that talks to WeChat. Takes and returns plain data; raises wechat.errors.

    Every method may raise RetryableError (network, timeout, HTTP 5xx, dropped connection,
    -1/45009/45011/45066), TokenError (token refused after one refresh) and
    InvalidRequestError; the methods below name the other errors they raise.
    An instance is cheap and safe to share between threads.
    """

    def __init__(
        self,
        *,
        app_id: str | None = None,
        app_secret: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        cache=None,
    ):
        self.app_id = app_id or settings.WECHAT_APP_ID
        self.app_secret = app_secret or settings.WECHAT_APP_SECRET
        self.base_url = (base_url or settings.WECHAT_API_BASE_URL).rstrip("/")
        self.timeout = timeout or settings.WECHAT_TIMEOUT
        self.tokens = AccessTokenCache(app_id=self.app_id, fetch=self._fetch_token, cache=cache)
        self.client = _Client(
            app_id=self.app_id,
            secret=self.app_secret,
            base_url=self.base_url,
            timeout=self.timeout,
            tokens=self.tokens,
        )

    # Calling ---------------------------------------------------------------------------------

    def _fetch_token(self) -> tuple[str, int]:
        url = f"{self.base_url}/cgi-bin/stable_token"
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self.app_secret,
            "force_refresh": False,
        }
        data = self._transport(
            lambda: self.client._http.post(
                url, data=json.dumps(body, ensure_ascii=False).encode(), timeout=self.timeout
            )
        )
        try:
            _raise_for_errcode(data)
        except errors.TokenError as exc:
            # On the token endpoint these codes mean a wrong AppSecret, not a stale token.
            raise errors.InvalidRequestError(40125, exc.errmsg) from exc
        logger.info("Fetched a WeChat access token for %s", self.app_id)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def _transport(self, send: Callable[[], requests.Response]) -> dict:
        """Run one raw HTTP call (the token fetch) and decode its JSON."""
        try:
            response = send()
        except requests.RequestException as exc:
            raise errors.RetryableError(None, f"network: {exc}") from exc
        if response.status_code >= 500:
            raise errors.RetryableError(None, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise errors.InvalidRequestError(None, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise errors.RetryableError(None, "WeChat answered no JSON") from exc
        if not isinstance(data, dict):
            raise errors.RetryableError(None, "WeChat answered no JSON object")
        return data

    def _call(self, fn: Callable[[_Client], dict], parse: Callable[[dict], object] | None = None):
        """`parse(fn(client))` with a valid token; on a token error refresh once, retry once.

        Anything `fn` or `parse` raises leaves as a wechat.errors exception.
        """
        token = self.tokens.get()
        try:
            self.client.use_token(token)
            try:
                return self._mapped(fn, parse)
            except errors.TokenError:
                logger.info("WeChat refused the access token; refreshing it once")
                token = self.tokens.refresh(stale=token)
                self.client.use_token(token)
                return self._mapped(fn, parse)
        finally:
            self.client.use_token(None)

    def _mapped(self, fn, parse):
        try:
            result = fn(self.client)
            return parse(result) if parse else result
        except errors.WeChatError:
            raise
        except WeChatClientException as exc:
            status = getattr(exc.response, "status_code", None)
            if exc.errcode is None and status is not None and status < 500:
                raise errors.InvalidRequestError(None, f"HTTP {status}") from exc
            if exc.errcode is None:
                raise errors.RetryableError(None, f"HTTP {status}") from exc
            raise errors.error_for(int(exc.errcode), str(exc.errmsg)) from exc
        except requests.RequestException as exc:
            raise errors.RetryableError(None, f"network: {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InvalidRequestError(None, f"unexpected answer: {exc!r}") from exc

    # Images ----------------------------------------------------------------------------------

    def upload_content_image(self, data: bytes, filename: str) -> str:
        """Upload an image for use inside article HTML (media/uploadimg); return its URL.

        JPG or PNG, under 1 MB. Raises InvalidRequestError (40005 type, 40009 size).
        """
        media = (filename, data, _content_type(filename))
        return self._call(
            lambda c: c.post("media/uploadimg", files={"media": media}),
            lambda r: str(r["url"]),
        )

    def add_image_material(self, data: bytes, filename: str) -> MaterialResult:
        """Upload a permanent image (material/add_material?type=image), e.g. a draft's cover.

        Raises InvalidRequestError (40005 type, 40009 size).
        """
        media = (filename, data, _content_type(filename))
        return self._call(
            lambda c: c.material.add("image", media),
            lambda r: MaterialResult(media_id=str(r["media_id"]), url=str(r.get("url", ""))),
        )

    # Drafts ----------------------------------------------------------------------------------

    def add_draft(self, articles: list[ArticleFields]) -> str:
        """Create a draft of 1 to 8 articles; return its media_id.

        Checks the documented limits first. Raises InvalidRequestError: 44003 (no articles),
        45008 (more than 8), 45002-45005/45110 (lengths), 40007 (thumb_media_id), 45166
        (an <img> not uploaded with upload_content_image).
        """
        if not articles:
            raise errors.InvalidRequestError(44003, "no articles (checked locally)")
        if len(articles) > ARTICLES_MAX:
            raise errors.InvalidRequestError(45008, "too many articles (checked locally)")
        for article in articles:
            article.check()
        payload = {"articles": [a.as_payload() for a in articles]}
        return self._call(lambda c: c.post("draft/add", data=payload), lambda r: str(r["media_id"]))

    def update_draft(self, *, media_id: str, index: int, article: ArticleFields) -> None:
        """Replace the article at `index` (0-based) of a draft. Raises as add_draft."""
        article.check()
        payload = {"media_id": media_id, "index": index, "articles": article.as_payload()}
        self._call(lambda c: c.post("draft/update", data=payload))

    def get_draft(self, media_id: str) -> list[ArticleFields]:
        """The articles of a draft. Raises InvalidRequestError 40007 when it is gone."""
        return self._call(
            lambda c: c.draft.get(media_id),
            lambda r: [ArticleFields.from_payload(i) for i in r.get("news_item", [])],
        )

    def delete_draft(self, media_id: str) -> None:
        """Delete a draft. Raises InvalidRequestError 40007 when it is gone."""
        self._call(lambda c: c.draft.delete(media_id))

    # Free publish ----------------------------------------------------------------------------

    def publish_submit(self, media_id: str) -> str:
        """Start publishing a draft (no push to followers); return the publish_id.

        The draft is consumed. The outcome arrives as PUBLISHJOBFINISH or through
        publish_status. Raises InvalidRequestError (40007 unknown or consumed draft, 48001,
        53503-53505).
        """
        return self._call(lambda c: c.freepublish.submit(media_id), lambda r: str(r["publish_id"]))

    def publish_status(self, publish_id: str) -> PublishStatus:
        """Poll a free-publish job. Raises InvalidRequestError for an unknown publish_id."""
        return self._call(lambda c: c.freepublish.get(publish_id), _publish_status)

    # Mass send -------------------------------------------------------------------------------

    def mass_send(
        self,
        *,
        media_id: str,
        tag_id: int | None,
        client_msg_id: str,
        ignore_reprint: bool = False,
    ) -> SendResult:
        """Mass-send a draft to one tag's followers, or to all when `tag_id` is None.

        `client_msg_id` (≤ 64 bytes) makes the send exactly-once: derive it from what is sent,
        store it before calling, and after a RetryableError call again with the same id.
        Raises DuplicateSendError (45065, `.msg_id` is the earlier send: treat as success),
        QuotaError (45028), RetryableError (45066: same id retried too soon),
        InvalidRequestError (40007 draft, 45067 id too long, 45159 tag, 48001).
        """
        if len(client_msg_id.encode()) > CLIENT_MSG_ID_MAX_BYTES:
            raise errors.InvalidRequestError(45067, "clientmsgid too long (checked locally)")
        audience = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        payload = {
            "filter": audience,
            "mpnews": {"media_id": media_id},
            "msgtype": "mpnews",
            "send_ignore_reprint": int(ignore_reprint),
            "clientmsgid": client_msg_id,
        }
        return self._call(
            lambda c: c.post("message/mass/sendall", data=payload),
            lambda r: SendResult(
                msg_id=str(r["msg_id"]), msg_data_id=str(r.get("msg_data_id", "") or "")
            ),
        )

    def mass_preview(self, *, media_id: str, openid: str) -> str:
        """Send a draft to one follower as a preview (no quota used); return the msg_id.

        Raises InvalidRequestError (40003 openid, 40007 draft).
        """
        payload = {"touser": openid, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
        return self._call(
            lambda c: c.post("message/mass/preview", data=payload),
            lambda r: str(r.get("msg_id", "")),
        )

    def mass_status(self, msg_id: str) -> MassStatus:
        """The delivery state of a mass send. Raises InvalidRequestError 40059 (unknown)."""
        return self._call(
            lambda c: c.message.get_mass(msg_id),
            lambda r: MassStatus(msg_id=str(r.get("msg_id", msg_id)), status=r["msg_status"]),
        )

    # Followers -------------------------------------------------------------------------------

    def followers_page(self, next_openid: str | None = None) -> FollowerPage:
        """One page (≤ 10 000) of the follower list; pass the previous page's next_openid.

        Raises InvalidRequestError 40003 for an unknown next_openid.
        """
        return self._call(lambda c: c.user.get_followers(next_openid or None), _follower_page)

    def iter_followers(self) -> Iterator[str]:
        """Every follower's openid, page by page; stops on any of WeChat's end signs."""
        next_openid = None
        while True:
            page = self.followers_page(next_openid)
            yield from page.openids
            if page.is_last:
                return
            next_openid = page.next_openid

    def users_info(self, openids: list[str]) -> list[FollowerInfo]:
        """Basic information of followers, fetched 100 at a time (user/info/batchget).

        Raises InvalidRequestError 40003 when an openid does not belong to the account.
        """
        infos = []
        for start in range(0, len(openids), USERS_INFO_BATCH):
            users = [{"openid": o, "lang": "zh_CN"} for o in openids[start : start + 100]]
            infos += self._call(
                lambda c, u=users: c.post("user/info/batchget", data={"user_list": u}),
                lambda r: [_follower_info(i) for i in r.get("user_info_list", [])],
            )
        return infos

    # Tags ------------------------------------------------------------------------------------

    def tags_list(self) -> list[Tag]:
        """Every tag of the account, with its follower count."""
        return self._call(
            lambda c: c.get("tags/get"), lambda r: [_tag(t) for t in r.get("tags", [])]
        )

    def tag_create(self, name: str) -> Tag:
        """Create a tag (name ≤ 30 bytes). Raises InvalidRequestError 45056/45157/45158."""
        return self._call(
            lambda c: c.post("tags/create", data={"tag": {"name": name}}),
            lambda r: _tag(r["tag"]),
        )

    def tag_update(self, tag_id: int, name: str) -> None:
        """Rename a tag. Raises InvalidRequestError 45058 (system tag), 45157-45159."""
        payload = {"tag": {"id": int(tag_id), "name": name}}
        self._call(lambda c: c.post("tags/update", data=payload))

    def tag_delete(self, tag_id: int) -> None:
        """Delete a tag. Raises InvalidRequestError 45057 (> 100 000 followers), 45058, 45159."""
        self._call(lambda c: c.post("tags/delete", data={"tag": {"id": int(tag_id)}}))

    def tag_members_add(self, tag_id: int, openids: list[str]) -> None:
        """Tag followers, 50 per call. Raises InvalidRequestError 40003, 45059, 45159."""
        self._tag_members("tags/members/batchtagging", tag_id, openids)

    def tag_members_remove(self, tag_id: int, openids: list[str]) -> None:
        """Untag followers, 50 per call. Raises InvalidRequestError 40003, 45159."""
        self._tag_members("tags/members/batchuntagging", tag_id, openids)

    def _tag_members(self, endpoint: str, tag_id: int, openids: list[str]) -> None:
        for start in range(0, len(openids), TAG_MEMBERS_BATCH):
            payload = {"openid_list": openids[start : start + 50], "tagid": int(tag_id)}
            self._call(lambda c, p=payload: c.post(endpoint, data=p))

    def tags_of(self, openid: str) -> list[int]:
        """The tag ids one follower carries. Raises InvalidRequestError 40003."""
        return self._call(
            lambda c: c.post("tags/getidlist", data={"openid": openid}),
            lambda r: [int(t) for t in r.get("tagid_list", [])],
        )

    def tag_followers_page(self, tag_id: int, next_openid: str | None = None) -> FollowerPage:
        """One page of the followers carrying a tag. Raises InvalidRequestError 45159."""
        return self._call(
            lambda c: c.tag.get_tag_users(int(tag_id), next_openid or None), _follower_page
        )

    # Web authorization (OAuth 2.0 for pages opened inside WeChat) -----------------------------

    def _oauth(self, **kwargs) -> "_OAuth":
        # The emulator answers both hosts; real WeChat sends browsers to open.weixin.qq.com.
        oauth_base = OAUTH_HOST if self.base_url == WECHAT_HOST else self.base_url
        return _OAuth(
            app_id=self.app_id,
            secret=self.app_secret,
            base_url=self.base_url,
            oauth_base_url=oauth_base,
            timeout=self.timeout,
            **kwargs,
        )

    def oauth_authorize_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """Where to send a reader's browser so WeChat redirects it back to `redirect_uri` with a
        `code` (and `state`); snsapi_base asks the reader nothing and yields the openid."""
        return self._oauth(redirect_uri=redirect_uri, scope=scope, state=state).authorize_url

    def oauth_openid(self, code: str) -> str:
        """The openid of the reader a web-authorization `code` was issued to (each code works
        once, for 5 minutes). Raises InvalidRequestError (40029 invalid or used code, 40163
        code already used) or RetryableError."""
        oauth = self._oauth(redirect_uri="")
        return self._mapped(
            lambda _client: oauth.fetch_access_token(code), lambda r: str(r["openid"])
        )

    # Statistics (datacube) -------------------------------------------------------------------

    def article_summary(self, day: date) -> list[ArticleSummary]:
        """Each mass-sent article's numbers on `day` (≤ yesterday).

        Raises InvalidRequestError 61500 (date), 61501 (range, or not before today).
        """
        return self._call(
            lambda c: c.datacube.get_article_summary(day, day),
            lambda rows: [
                ArticleSummary(
                    ref_date=r.get("ref_date", ""),
                    msgid=str(r.get("msgid", "")),
                    title=r.get("title", ""),
                    **ArticleCounters.from_payload(r),
                )
                for r in rows
            ],
        )

    def article_total(self, day: date) -> list[ArticleTotal]:
        """Articles sent on `day`, with cumulative numbers for each day since (≤ 7 days).

        Raises InvalidRequestError 61500 (date), 61501 (range, or not before today).
        """
        return self._call(
            lambda c: c.datacube.get_article_total(day, day),
            lambda rows: [_article_total(r) for r in rows],
        )

    def user_read(self, begin: date, end: date) -> list[UserRead]:
        """The account's reading per day and source; at most 3 days, `end` ≤ yesterday.

        Raises InvalidRequestError 61500 (date), 61501 (range, or not before today).
        """
        return self._call(
            lambda c: c.datacube.get_user_read(begin, end),
            lambda rows: [
                UserRead(
                    ref_date=r.get("ref_date", ""),
                    user_source=int(r.get("user_source", 99999999)),
                    **ArticleCounters.from_payload(r),
                )
                for r in rows
            ],
        )


class _OAuth(WeChatOAuth):
    """wechatpy's web authorization pointed at our base URL, with a timeout on every call."""

    def __init__(self, *, app_id, secret, base_url, oauth_base_url, timeout, **kwargs):
        super().__init__(app_id, secret, **kwargs)
        self.API_BASE_URL = f"{base_url}/"
        self.OAUTH_BASE_URL = f"{oauth_base_url}/connect/"
        self.timeout = timeout

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


def _publish_status(result: dict) -> PublishStatus:
    detail = result.get("article_detail") or {}
    return PublishStatus(
        publish_id=str(result["publish_id"]),
        status=int(result["publish_status"]),
        article_id=str(result.get("article_id", "") or ""),
        # Stored on the push items and linked in the admin: WeChat's own https URLs only.
        article_urls=[
            wechat_url_or_empty(item.get("article_url")) for item in detail.get("item", [])
        ],
        fail_idx=[int(i) for i in result.get("fail_idx", []) or []],
    )


def _article_total(row: dict) -> ArticleTotal:
    return ArticleTotal(
        ref_date=row.get("ref_date", ""),
        msgid=str(row.get("msgid", "")),
        title=row.get("title", ""),
        details=[
            ArticleTotalDay(
                stat_date=d.get("stat_date", ""),
                target_user=int(d.get("target_user", 0) or 0),
                **ArticleCounters.from_payload(d),
            )
            for d in row.get("details", [])
        ],
    )


def _content_type(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".png"):
        return "image/png"
    if lower.endswith(".gif"):
        return "image/gif"
    return "image/jpeg"


def _follower_page(result: dict) -> FollowerPage:
    openids = [str(o) for o in (result.get("data") or {}).get("openid", [])]
    return FollowerPage(
        total=int(result.get("total", 0) or 0),
        count=int(result.get("count", len(openids)) or 0),
        openids=openids,
        next_openid=str(result.get("next_openid", "") or ""),
    )


def _follower_info(item: dict) -> FollowerInfo:
    return FollowerInfo(
        openid=str(item.get("openid", "")),
        subscribed=bool(int(item.get("subscribe", 0) or 0)),
        language=item.get("language", ""),
        subscribe_time=int(item.get("subscribe_time", 0) or 0),
        unionid=item.get("unionid", ""),
        remark=item.get("remark", ""),
        tag_ids=[int(t) for t in item.get("tagid_list", [])],
        subscribe_scene=item.get("subscribe_scene", ""),
    )


def _tag(item: dict) -> Tag:
    return Tag(id=int(item["id"]), name=str(item["name"]), count=int(item.get("count", 0) or 0))


# Callbacks -------------------------------------------------------------------------------------


def _sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def callback_signature_valid(*, signature: str, timestamp: str, nonce: str) -> bool:
    """Whether a callback's `signature` query parameter matches settings.WECHAT_TOKEN."""
    if not (signature and timestamp and nonce and settings.WECHAT_TOKEN):
        return False
    expected = _sha1_signature(settings.WECHAT_TOKEN, timestamp, nonce)
    return hmac.compare_digest(expected, signature.lower())


def callback_decrypt(*, encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The XML inside a safe-mode callback's <Encrypt> element (CONTRACT.md §10.2).

    Raises CallbackSignatureError when msg_signature does not match, CallbackPayloadError when
    no EncodingAESKey is configured or the ciphertext (or its AppID) is wrong.
    """
    if not settings.WECHAT_ENCODING_AES_KEY:
        raise errors.CallbackPayloadError("encrypted callback but no EncodingAESKey configured")
    expected = _sha1_signature(settings.WECHAT_TOKEN, timestamp, nonce, encrypt)
    if not (msg_signature and hmac.compare_digest(expected, msg_signature.lower())):
        raise errors.CallbackSignatureError("msg_signature mismatch")
    try:
        crypto = WeChatCrypto(
            settings.WECHAT_TOKEN, settings.WECHAT_ENCODING_AES_KEY, settings.WECHAT_APP_ID
        )
        return crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise errors.CallbackSignatureError("msg_signature mismatch") from exc
    except Exception as exc:  # garbage ciphertext fails in many ways
        raise errors.CallbackPayloadError(f"cannot decrypt: {exc!r}") from exc
