"""Reading what WeChat pushes to /wechat/callback/ and storing it once (CONTRACT.md §10).

`callback_xml` turns a request body into trusted XML text (signature, size, safe mode,
DOCTYPE refusal); `callback_event_record` parses it, stores a CallbackEvent unless it is a
retry, and sends `callback_received` after commit.

Normalised payload fields, beside "raw" (the whole XML as nested dicts):
- MASSSENDJOBFINISH: msg_id, status, succeeded, total_count, filter_count, sent_count,
  error_count, article_urls [{idx, url}]
- PUBLISHJOBFINISH: publish_id, publish_status, succeeded, article_id, article_urls
  [{idx, url}], fail_idx [int]
- subscribe / unsubscribe: openid, event_key
"""

import logging
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from . import gateway
from .errors import CallbackPayloadError
from .models import CallbackEvent
from .signals import callback_received

logger = logging.getLogger(__name__)

# Any markup declaration but CDATA sections and comments: DOCTYPE, ENTITY, ELEMENT, ATTLIST.
# Refusing them before parsing rules out entity expansion (XML bombs) and external entities.
_DECLARATION = re.compile(r"<!(?!\[CDATA\[|--)")


def parse_xml(text: str) -> ET.Element:
    """The root <xml> element. Raises CallbackPayloadError for declarations or bad XML."""
    if _DECLARATION.search(text):
        raise CallbackPayloadError("XML declarations (DOCTYPE/ENTITY) are refused")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CallbackPayloadError(f"malformed XML: {exc}") from exc
    if root.tag != "xml":
        raise CallbackPayloadError("the root element is not <xml>")
    return root


def callback_xml(
    *, body: bytes, encrypt_type: str, msg_signature: str, timestamp: str, nonce: str
) -> str:
    """The event XML of a callback whose `signature` was already checked.

    In safe mode (`encrypt_type == "aes"`) checks msg_signature and decrypts <Encrypt>.
    Raises CallbackPayloadError (400) or CallbackSignatureError (403).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallbackPayloadError("the body is not UTF-8") from exc
    root = parse_xml(text)
    if encrypt_type != "aes":
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


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _normalised(event: str, raw: dict) -> dict:
    if event == CallbackEvent.MASS_SEND_FINISHED:
        items = _as_list(_dict(_dict(raw.get("ArticleUrlResult")).get("ResultList")).get("item"))
        status = str(raw.get("Status", ""))
        return {
            "msg_id": str(raw.get("MsgID", "")),
            "status": status,
            "succeeded": status == "send success",
            "total_count": _int(raw.get("TotalCount")),
            "filter_count": _int(raw.get("FilterCount")),
            "sent_count": _int(raw.get("SentCount")),
            "error_count": _int(raw.get("ErrorCount")),
            "article_urls": [
                {"idx": _int(i.get("ArticleIdx")), "url": str(i.get("ArticleUrl", ""))}
                for i in items
                if isinstance(i, dict)
            ],
        }
    if event == CallbackEvent.PUBLISH_FINISHED:
        info = _dict(raw.get("PublishEventInfo"))
        detail = _dict(info.get("article_detail"))
        status = _int(info.get("publish_status"), -1)
        return {
            "publish_id": str(info.get("publish_id", "")),
            "publish_status": status,
            "succeeded": status == 0,
            "article_id": str(info.get("article_id", "")),
            "article_urls": [
                {"idx": _int(i.get("idx")), "url": str(i.get("article_url", ""))}
                for i in _as_list(detail.get("item"))
                if isinstance(i, dict)
            ],
            "fail_idx": [_int(i) for i in _as_list(info.get("fail_idx"))],
        }
    if event in (CallbackEvent.SUBSCRIBE, CallbackEvent.UNSUBSCRIBE):
        return {
            "openid": str(raw.get("FromUserName", "")),
            "event_key": str(raw.get("EventKey", "")),
        }
    return {}


def parse_event(xml: str) -> dict:
    """The CallbackEvent fields of one pushed XML. Raises CallbackPayloadError."""
    raw = _data(parse_xml(xml))
    if not isinstance(raw, dict):
        raise CallbackPayloadError("empty <xml>")
    msg_type = str(raw.get("MsgType", ""))
    from_user = str(raw.get("FromUserName", ""))
    create_time = _int(raw.get("CreateTime"), -1)
    if not msg_type or not from_user or create_time < 0:
        raise CallbackPayloadError("MsgType, FromUserName or CreateTime missing")
    event = str(raw.get("Event", "")) if msg_type == "event" else ""
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
    fields = parse_event(xml)
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
