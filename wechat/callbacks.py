"""Reading what WeChat pushes to /wechat/callback/ and storing it once (CONTRACT.md §10).

The view checks, in this order (wechat/views.py):

1. `callback_token_problem`: an empty WECHAT_TOKEN, or the emulator's public token outside
   DEBUG, refuses every callback (403): anyone could sign with it.
2. `signature` (gateway.callback_signature_valid, 403).
3. `callback_timestamp_fresh`: `timestamp` within WECHAT_CALLBACK_MAX_AGE seconds (default 300)
   of our clock, past or future, else 403. WeChat waits 5 s per attempt and tries 3 times, so a
   genuine push is seconds old; the rest of the window is for clock skew.
4. `callback_replay_claim`: a (timestamp, nonce, signature) is bound, for as long as its
   timestamp is accepted, to the first body it came with (Django's cache, `add` is atomic on
   Redis). The same signature with another body is a replay: 403. The same query with the same
   body is how a retry looks (the emulator resends the very same request; CONTRACT.md does not
   say whether WeChat signs a retry afresh), so it is processed again and answered "success";
   the event's `dedup_key` keeps it stored and announced once. A byte-identical replay can do
   nothing the original did not.
5. `callback_xml`: size, UTF-8, XML through defusedxml (no DTD, entities or external
   references), at most MAX_DEPTH levels and MAX_ELEMENTS elements; with
   WECHAT_ENCODING_AES_KEY set (safe mode) only `encrypt_type=aes` bodies with <Encrypt> whose
   msg_signature matches are read (plaintext: 403).
6. `callback_event_record`: parses the event, bounds its fields (CreateTime a plausible unix
   time, counts 0…MAX_COUNT, indexes 0…MAX_INDEX; else 400), drops every URL that is not https
   on WeChat's own hosts (wechat.urlcheck) from the stored payload, stores a CallbackEvent
   unless it is a retry, and sends `callback_received` after commit.

Normalised payload fields, beside "raw" (the whole XML as nested dicts):
- MASSSENDJOBFINISH: msg_id, status, succeeded, total_count, filter_count, sent_count,
  error_count, article_urls [{idx, url}]
- PUBLISHJOBFINISH: publish_id, publish_status, succeeded, article_id, article_urls
  [{idx, url}], fail_idx [int]
- subscribe / unsubscribe / SCAN: openid, event_key, ticket
- TEMPLATESENDJOBFINISH: msg_id, status
"""

import functools
import hashlib
import logging
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from . import gateway
from .constants import EMULATOR_TOKEN
from .errors import CallbackPayloadError, CallbackSignatureError
from .models import CallbackEvent
from .signals import callback_received
from .urlcheck import is_wechat_url, wechat_url_or_empty, wechat_url_upgraded

logger = logging.getLogger(__name__)

# WeChat's deepest push (PUBLISHJOBFINISH's article_url) is 5 levels below the document and a
# mass send of 8 articles has about 120 elements; anything far beyond is not WeChat's.
MAX_DEPTH = 10
MAX_ELEMENTS = 1000
# Counts fit a PostgreSQL integer (Push.*_count); WeChat's largest accounts are far below.
MAX_COUNT = 2_000_000_000
MAX_INDEX = 64  # article positions: WeChat allows 8 articles per message
MAX_CREATE_TIME = 4_102_444_800  # 2100-01-01: datetime.fromtimestamp cannot overflow below it
# Plain ASCII digits only: int() also reads "١٢" and "1_000", WeChat sends neither.
_INTEGER = re.compile(r"-?[0-9]{1,12}", re.ASCII)


def callback_token_problem() -> str:
    """Why no callback can be trusted with the configured WECHAT_TOKEN, or "" when it can.

    The emulator's token is in this repository; outside DEBUG it would let anyone sign.
    Logged as an error once per process and reason.
    """
    if not settings.WECHAT_TOKEN:
        reason = "WECHAT_TOKEN is empty"
    elif settings.WECHAT_TOKEN == EMULATOR_TOKEN and not settings.DEBUG:
        reason = "WECHAT_TOKEN is the emulator's public token and DEBUG is off"
    else:
        return ""
    _log_token_problem(reason)
    return reason


@functools.cache
def _log_token_problem(reason: str) -> None:
    logger.error(
        "Every WeChat callback is refused: %s. Set the Token of the WeChat console.", reason
    )


def _timestamp(value: str) -> int | None:
    if not (isinstance(value, str) and _INTEGER.fullmatch(value)) or value.startswith("-"):
        return None
    return int(value)


def callback_timestamp_fresh(timestamp: str, *, now: float | None = None) -> bool:
    """Whether a callback's `timestamp` is within WECHAT_CALLBACK_MAX_AGE seconds of now
    (either side). False for anything but a plain non-negative integer."""
    value = _timestamp(timestamp)
    if value is None:
        return False
    now = time.time() if now is None else now
    return abs(now - value) <= settings.WECHAT_CALLBACK_MAX_AGE


def callback_replay_claim(*, timestamp: str, nonce: str, signature: str, content: bytes) -> bool:
    """Bind (timestamp, nonce, signature) to `content` (the body, or the echoed echostr) until
    the timestamp leaves the window. True for the first request and for identical ones (WeChat's
    retries); False when the signature comes back with other content (a replay)."""
    value = _timestamp(timestamp)
    if value is None:
        return False
    identity = f"{timestamp}\n{nonce}\n{signature.lower()}".encode()
    key = "wechat:callback:seen:" + hashlib.sha256(identity).hexdigest()
    digest = hashlib.sha256(content).hexdigest()
    # Accepted until now = timestamp + window; a second past it for a clock tick.
    timeout = max(1, value + settings.WECHAT_CALLBACK_MAX_AGE - int(time.time()) + 1)
    if cache.add(key, digest, timeout=timeout):
        return True
    return cache.get(key) == digest


def _check_shape(root: ET.Element) -> None:
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise CallbackPayloadError(f"XML nested deeper than {MAX_DEPTH} levels")
        if count > MAX_ELEMENTS:
            raise CallbackPayloadError(f"XML with more than {MAX_ELEMENTS} elements")
        stack.extend((child, depth + 1) for child in element)


def parse_xml(text: str) -> ET.Element:
    """The root <xml> element, parsed by defusedxml: a DTD (so any entity, internal or external)
    is refused. Raises CallbackPayloadError for that, bad XML, or a shape no push has."""
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CallbackPayloadError(
            f"XML declarations (DTD, entities) are refused: {type(exc).__name__}"
        ) from exc
    except ET.ParseError as exc:
        raise CallbackPayloadError(f"malformed XML: {exc}") from exc
    if root.tag != "xml":
        raise CallbackPayloadError("the root element is not <xml>")
    _check_shape(root)
    return root


def callback_xml(
    *, body: bytes, encrypt_type: str, msg_signature: str, timestamp: str, nonce: str
) -> str:
    """The event XML of a callback whose `signature` was already checked.

    In safe mode (WECHAT_ENCODING_AES_KEY set) only encrypted callbacks are read: anything
    without `encrypt_type=aes` raises CallbackSignatureError, since its body is signed by
    nothing. An encrypted callback's msg_signature is checked and <Encrypt> decrypted.
    Raises CallbackPayloadError (400) or CallbackSignatureError (403).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallbackPayloadError("the body is not UTF-8") from exc
    root = parse_xml(text)
    if encrypt_type != "aes":
        if settings.WECHAT_ENCODING_AES_KEY:
            raise CallbackSignatureError("safe mode: a plaintext callback is refused")
        return text
    encrypt = root.findtext("Encrypt")
    if not encrypt:
        raise CallbackPayloadError("encrypted callback without <Encrypt>")
    inner = gateway.callback_decrypt(
        encrypt=encrypt.strip(), msg_signature=msg_signature, timestamp=timestamp, nonce=nonce
    )
    parse_xml(inner)
    return inner


def _data(element: ET.Element):
    children = list(element)
    if not children:
        return (element.text or "").strip()
    data: dict = {}
    for child in children:
        value = _data(child)
        if child.tag in data:
            if not isinstance(data[child.tag], list):
                data[child.tag] = [data[child.tag]]
            data[child.tag].append(value)
        else:
            data[child.tag] = value
    return data


def _drop_foreign_urls(data, dropped: list[str]) -> None:
    """Empty every *Url/*_url element that is not one of WeChat's URLs, in place (an http URL
    on WeChat's image host is kept as its https form: urlcheck.wechat_url_upgraded)."""
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in list(items):
        if isinstance(key, str) and key.lower().endswith("url"):
            if value != "" and not is_wechat_url(value):
                data[key] = wechat_url_upgraded(value)
                if not data[key]:
                    dropped.append(key)
        elif isinstance(value, dict | list):
            _drop_foreign_urls(value, dropped)


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _bounded(value, name: str, *, low: int, high: int, default: int) -> int:
    """An integer element: `default` when absent or empty, else within low…high or
    CallbackPayloadError."""
    if value in (None, ""):
        return default
    text = value.strip() if isinstance(value, str) else ""
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise CallbackPayloadError(f"{name} is not an integer within {low}…{high}")
    return int(text)


def _count(raw: dict, name: str) -> int:
    return _bounded(raw.get(name), name, low=0, high=MAX_COUNT, default=0)


def _index(value, name: str) -> int:
    return _bounded(value, name, low=0, high=MAX_INDEX, default=0)


def _normalised(event: str, raw: dict) -> dict:
    if event == CallbackEvent.MASS_SEND_FINISHED:
        items = _as_list(_dict(_dict(raw.get("ArticleUrlResult")).get("ResultList")).get("item"))
        status = str(raw.get("Status", ""))
        return {
            "msg_id": str(raw.get("MsgID", "")),
            "status": status,
            "succeeded": status == "send success",
            "total_count": _count(raw, "TotalCount"),
            "filter_count": _count(raw, "FilterCount"),
            "sent_count": _count(raw, "SentCount"),
            "error_count": _count(raw, "ErrorCount"),
            "article_urls": [
                {
                    "idx": _index(i.get("ArticleIdx"), "ArticleIdx"),
                    "url": wechat_url_or_empty(i.get("ArticleUrl")),
                }
                for i in items
                if isinstance(i, dict)
            ],
        }
    if event == CallbackEvent.PUBLISH_FINISHED:
        info = _dict(raw.get("PublishEventInfo"))
        detail = _dict(info.get("article_detail"))
        status = _bounded(
            info.get("publish_status"), "publish_status", low=0, high=1000, default=-1
        )
        return {
            "publish_id": str(info.get("publish_id", "")),
            "publish_status": status,
            "succeeded": status == 0,
            "article_id": str(info.get("article_id", "")),
            "article_urls": [
                {
                    "idx": _index(i.get("idx"), "idx"),
                    "url": wechat_url_or_empty(i.get("article_url")),
                }
                for i in _as_list(detail.get("item"))
                if isinstance(i, dict)
            ],
            "fail_idx": [_index(i, "fail_idx") for i in _as_list(info.get("fail_idx"))],
        }
    if event in (CallbackEvent.SUBSCRIBE, CallbackEvent.UNSUBSCRIBE, "SCAN"):
        # A scan of a parametric QR code (§15) also carries its Ticket.
        return {
            "openid": str(raw.get("FromUserName", "")),
            "event_key": str(raw.get("EventKey", "")),
            "ticket": str(raw.get("Ticket", ""))[:255],
        }
    if event == "TEMPLATESENDJOBFINISH":
        # §16: the template message's msgid (MsgID, capital ID) and its delivery status.
        # Some SDKs read MsgId: accept either spelling.
        msg_id = raw.get("MsgID") or raw.get("MsgId") or ""
        return {"msg_id": str(msg_id), "status": str(raw.get("Status", ""))}
    return {}


def parse_event(xml: str) -> dict:
    """The CallbackEvent fields of one pushed XML. Raises CallbackPayloadError."""
    raw = _data(parse_xml(xml))
    if not isinstance(raw, dict):
        raise CallbackPayloadError("empty <xml>")
    msg_type = str(raw.get("MsgType", ""))
    from_user = str(raw.get("FromUserName", ""))
    create_time = _bounded(
        raw.get("CreateTime"), "CreateTime", low=0, high=MAX_CREATE_TIME, default=-1
    )
    if not msg_type or not from_user or create_time < 0:
        raise CallbackPayloadError("MsgType, FromUserName or CreateTime missing")
    event = str(raw.get("Event", "")) if msg_type == "event" else ""
    dropped: list[str] = []
    _drop_foreign_urls(raw, dropped)
    if dropped:
        logger.warning(
            "Dropped %d URL(s) not on WeChat's hosts from a %s callback: %s",
            len(dropped),
            (event or msg_type)[:64],
            ", ".join(sorted(set(dropped)))[:200],
        )
    normalised = _normalised(event, raw)
    msg_id = normalised.get("msg_id") or str(raw.get("MsgId", ""))
    publish_id = normalised.get("publish_id", "")
    if msg_type != "event" and raw.get("MsgId"):
        dedup_key = f"msg:{raw['MsgId']}"
    else:
        # CONTRACT §10.3: events by FromUserName + CreateTime; the event name and its own id
        # keep two jobs finishing in the same second apart.
        dedup_key = f"event:{from_user}:{create_time}:{event}:{msg_id or publish_id}"
    return {
        "dedup_key": dedup_key[:255],
        "msg_type": msg_type[:32],
        "event": event[:64],
        "from_user": from_user[:64],
        "to_user": str(raw.get("ToUserName", ""))[:64],
        "sent_at": datetime.fromtimestamp(create_time, tz=UTC),
        "msg_id": msg_id[:64],
        "publish_id": publish_id[:64],
        "payload": {**normalised, "raw": raw},
    }


def callback_event_record(*, xml: str) -> tuple[CallbackEvent, bool]:
    """Store the pushed event unless it is a retry; return (event, created).

    A new event is announced with `callback_received` after commit. Raises
    CallbackPayloadError when the XML is not a WeChat push.
    """
    return callback_event_store(fields=parse_event(xml))


def callback_event_store(*, fields: dict) -> tuple[CallbackEvent, bool]:
    """Store an event already read by `parse_event` unless it is a retry; return (event,
    created). A new event is announced with `callback_received` after commit."""
    try:
        with transaction.atomic():
            event = CallbackEvent.objects.create(**fields)
    except IntegrityError:
        return CallbackEvent.objects.get(dedup_key=fields["dedup_key"]), False
    transaction.on_commit(lambda: _announce(event))
    return event, True


def _announce(event: CallbackEvent) -> None:
    for receiver, result in callback_received.send_robust(sender=CallbackEvent, event=event):
        if isinstance(result, Exception):
            logger.error("A callback_received receiver failed: %r", receiver, exc_info=result)
