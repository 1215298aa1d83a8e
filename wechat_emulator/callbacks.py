"""Pushing events to the CMS as WeChat does: XML, signed with the Token, AES in safe mode.

Written from CONTRACT.md §10 without wechatpy, so the callback view (which decrypts with
wechatpy) is checked against an independent implementation.
"""

import base64
import hashlib
import logging
import os
import random
import struct
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit, urlunsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

logger = logging.getLogger(__name__)

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


def sign(*parts: str) -> str:
    """sha1 of the parts sorted and joined (signature and msg_signature alike)."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters")
    return key


def encrypt(xml: str, *, encoding_aes_key: str, app_id: str) -> str:
    """The Base64 text of <Encrypt>: random(16) | len (4, big-endian) | xml | AppID, PKCS#7/32."""
    key = _key(encoding_aes_key)
    message = xml.encode()
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(text: str, *, encoding_aes_key: str, app_id: str) -> str:
    """The inverse of `encrypt`. Raises ValueError when the AppID does not match."""
    key = _key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(text)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    xml, tail = plain[20 : 20 + length], plain[20 + length :]
    if tail.decode() != app_id:
        raise ValueError("AppID mismatch")
    return xml.decode()


def _cdata(value: str) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def event_xml(*, to_user: str, from_user: str, create_time: int, event: str, body: str = "") -> str:
    """An event push: the common header, then `body` (already XML)."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>{_cdata('event')}</MsgType>"
        f"<Event>{_cdata(event)}</Event>{body}</xml>"
    )


def mass_finish_body(send: dict) -> str:
    """MASSSENDJOBFINISH's elements after the header, from an emulator send record."""
    urls = "".join(
        f"<item><ArticleIdx>{a['idx']}</ArticleIdx><ArticleUrl>{_cdata(a['url'])}</ArticleUrl>"
        "</item>"
        for a in send["articles"]
    )
    return (
        f"<MsgID>{send['msg_id']}</MsgID><Status>{_cdata(send['finish_status'])}</Status>"
        f"<TotalCount>{send['total_count']}</TotalCount>"
        f"<FilterCount>{send['filter_count']}</FilterCount>"
        f"<SentCount>{send['sent_count']}</SentCount>"
        f"<ErrorCount>{send['error_count']}</ErrorCount>"
        "<CopyrightCheckResult><Count>0</Count><ResultList></ResultList>"
        "<CheckState>1</CheckState></CopyrightCheckResult>"
        f"<ArticleUrlResult><Count>{len(send['articles'])}</Count>"
        f"<ResultList>{urls}</ResultList></ArticleUrlResult>"
    )


def publish_finish_body(job: dict) -> str:
    """PUBLISHJOBFINISH's <PublishEventInfo>, from an emulator publish record."""
    inner = (
        f"<publish_id>{job['publish_id']}</publish_id>"
        f"<publish_status>{job['final_status']}</publish_status>"
    )
    if job["final_status"] == 0:
        items = "".join(
            f"<item><idx>{i}</idx><article_url>{_cdata(url)}</article_url></item>"
            for i, url in enumerate(job["article_urls"], 1)
        )
        inner += (
            f"<article_id>{_cdata(job['article_id'])}</article_id>"
            f"<article_detail><count>{len(job['article_urls'])}</count>{items}</article_detail>"
        )
    else:
        inner += "".join(f"<fail_idx>{i}</fail_idx>" for i in job["fail_idx"])
    return f"<PublishEventInfo>{inner}</PublishEventInfo>"


def subscribe_body(event: str) -> str:
    return f"<EventKey>{_cdata('')}</EventKey>" if event == "subscribe" else ""


def signed_request(
    *, url: str, xml: str, openid: str, token: str, encoding_aes_key: str, app_id: str, to_user: str
) -> tuple[str, bytes]:
    """The URL (with signature query parameters) and body WeChat would POST."""
    timestamp = str(int(time.time()))
    nonce = str(random.randint(10**8, 10**9 - 1))
    params = {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    params["openid"] = openid
    body = xml
    if encoding_aes_key:
        encrypted = encrypt(xml, encoding_aes_key=encoding_aes_key, app_id=app_id)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = sign(token, timestamp, nonce, encrypted)
        body = (
            f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
        )
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query)), body.encode()


def post_once(url: str, body: bytes, timeout: float) -> int:
    """POST once; the HTTP status, or 0 when the connection failed."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError) as exc:
        # The path only: the query carries the signature and nonce.
        logger.info("Callback to %s failed: %s", urlsplit(url).path, exc)
        return 0


def message_xml(
    *, to_user: str, from_user: str, create_time: int, msg_type: str, msg_id: str, fields: dict
) -> str:
    """A follower's message push (CONTRACT.md §13): the header, the type's fields, MsgId."""
    names = {
        "text": ("Content",),
        "image": ("PicUrl", "MediaId"),
        "voice": ("MediaId", "Format", "Recognition"),
        "location": ("Location_X", "Location_Y", "Scale", "Label"),
        "link": ("Title", "Description", "Url"),
    }[msg_type]
    body = "".join(f"<{n}>{_cdata(fields[n])}</{n}>" for n in names if n in fields)
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>{_cdata(msg_type)}</MsgType>"
        f"{body}<MsgId>{msg_id}</MsgId></xml>"
    )


def post_for_answer(url: str, body: bytes, timeout: float) -> tuple[int, bytes, float]:
    """POST once and keep the answer: (HTTP status or 0, body, seconds taken)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, b"", time.monotonic() - started
    except (OSError, ValueError) as exc:
        logger.info("Message push to %s failed: %s", urlsplit(url).path, exc)
        return 0, b"", time.monotonic() - started
