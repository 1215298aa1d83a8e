"""What followers send and what staff answer (CONTRACT.md §13, §14).

Inside the callback, `callback_process` stores a follower's message with ONE INSERT (a retry
of the same MsgId inserts nothing: `ON CONFLICT DO NOTHING`), together with the automatic
reply it gets, and returns that reply; events (follow, menu, scan) are stored as
CallbackEvents as before, and a follow is welcomed. Nothing else is written or called there:
conversations, unread counts and the 48-hour window are worked out when staff read them.

Staff answer with customer-service messages (`inbox_answer`), which WeChat accepts only within
48 hours of the follower's last message, 5 per message; a message that looks like a news tip
becomes a campus-news draft through editorial.intake (`inbox_message_to_tip`).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.intake import Tip, tip_submit

from . import errors
from .callbacks import callback_event_store, parse_event
from .directory import follower_cards
from .gateway import WeChatGateway
from .models import CallbackEvent, ConversationRead, InboxMessage, MessageDirection
from .replies import Reply, reply_for_click, reply_for_message, reply_for_subscribe

logger = logging.getLogger(__name__)

MESSAGE_TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link")
# Customer-service messages (CONTRACT §14, as WeChat has counted them since June 2023, see
# wechat/README.md): a follower's message allows 5 within 48 hours; a follow, scan or menu
# click allows 3 within one minute only, which no person answering by hand can use, so only
# messages open the window here.
CUSTOM_WINDOW = timedelta(hours=48)
CUSTOM_ANSWERS_PER_MESSAGE = 5
CUSTOM_ANSWERS_CODE = 45047
CONTENT_MAX_CHARS = 4000  # more than a WeChat text holds; anything longer is cut on storing
FIELD_MAX_CHARS = 1024
TIP_TITLE_MAX_CHARS = 30


def _text(value, limit: int = FIELD_MAX_CHARS) -> str:
    return value[:limit] if isinstance(value, str) else ""


def message_fields(msg_type: str, raw: dict) -> tuple[str, dict]:
    """(content, details) of a follower's message from its pushed fields (§13)."""
    if msg_type == "text":
        return _text(raw.get("Content"), CONTENT_MAX_CHARS), {}
    if msg_type == "image":
        return "", {"pic_url": _text(raw.get("PicUrl")), "media_id": _text(raw.get("MediaId"))}
    if msg_type == "voice":
        return _text(raw.get("Recognition"), CONTENT_MAX_CHARS), {
            "media_id": _text(raw.get("MediaId")),
            "format": _text(raw.get("Format"), 16),
        }
    if msg_type in ("video", "shortvideo"):
        return "", {
            "media_id": _text(raw.get("MediaId")),
            "thumb_media_id": _text(raw.get("ThumbMediaId")),
        }
    if msg_type == "location":
        return _text(raw.get("Label")), {
            "x": _text(raw.get("Location_X"), 32),
            "y": _text(raw.get("Location_Y"), 32),
            "scale": _text(raw.get("Scale"), 16),
        }
    if msg_type == "link":
        return _text(raw.get("Title")), {
            "description": _text(raw.get("Description")),
            "url": _text(raw.get("Url")),
        }
    return "", {}


def _safely(choose, **kwargs) -> Reply | None:
    """The automatic reply, or None when choosing it failed: a broken rule (or a card whose
    item cannot be read) must never cost the follower's message, which is stored regardless."""
    try:
        return choose(**kwargs)
    except Exception:
        logger.exception("Choosing an automatic reply failed; the message is stored unanswered")
        return None


@dataclass(frozen=True)
class Processed:
    """What the callback does with a push: `reply` (or None: answer "success"), to whom."""

    reply: Reply | None
    to_user: str
    from_user: str


def callback_process(*, xml: str) -> Processed:
    """Store one push (a message in one INSERT, an event as a CallbackEvent) and choose its
    automatic reply. Raises CallbackPayloadError for XML that is not a WeChat push."""
    fields = parse_event(xml)
    reply = None
    if fields["msg_type"] in MESSAGE_TYPES:
        content, data = message_fields(fields["msg_type"], fields["payload"]["raw"])
        reply = _safely(reply_for_message, msg_type=fields["msg_type"], content=content)
        message = InboxMessage(
            openid=fields["from_user"],
            direction=MessageDirection.IN,
            msg_type=fields["msg_type"],
            msg_id=fields["msg_id"]
            or f"t:{fields['from_user']}:{fields['sent_at'].timestamp():.0f}",
            content=content,
            data=data,
            sent_at=fields["sent_at"],
            reply_rule_id=reply.rule_id if reply else None,
            reply_summary=reply.summary() if reply else "",
        )
        # A retry of the same MsgId inserts nothing and is answered the same way again.
        InboxMessage.objects.bulk_create([message], ignore_conflicts=True)
    else:
        callback_event_store(fields=fields)
        if fields["event"] == CallbackEvent.SUBSCRIBE:
            card = follower_cards([fields["from_user"]]).get(fields["from_user"])
            reply = _safely(reply_for_subscribe, name=card.name if card else "")
        elif fields["event"] == "CLICK":
            key = str(fields["payload"]["raw"].get("EventKey", ""))[:128]
            reply = _safely(reply_for_click, key=key)
    return Processed(reply=reply, to_user=fields["from_user"], from_user=fields["to_user"])


@dataclass(frozen=True)
class ConversationRow:
    openid: str
    last: InboxMessage
    unread: int
    card: object
    window_open: bool


def conversations(*, unread_only: bool = False):
    """A queryset of one row per follower who wrote: openid, last_id (newest message either
    way), last_in (newest message from them), unread; newest first."""
    read = ConversationRead.objects.filter(openid=OuterRef("openid")).values("read_upto")[:1]
    rows = (
        InboxMessage.objects.values("openid")
        .annotate(
            last_id=Max("id"),
            last_in=Max("received_at", filter=Q(direction=MessageDirection.IN)),
            unread=Count(
                "id",
                filter=Q(direction=MessageDirection.IN)
                & Q(id__gt=Coalesce(Subquery(read), Value(0), output_field=IntegerField())),
            ),
        )
        .filter(last_in__isnull=False)
        .order_by("-last_id")
    )
    if unread_only:
        rows = rows.filter(unread__gt=0)
    return rows


def conversation_rows(page_rows) -> list[ConversationRow]:
    """The page's rows with their last message and follower card (two queries in all)."""
    page_rows = list(page_rows)
    messages = InboxMessage.objects.in_bulk([row["last_id"] for row in page_rows])
    cards = follower_cards(row["openid"] for row in page_rows)
    now = timezone.now()
    return [
        ConversationRow(
            openid=row["openid"],
            last=messages[row["last_id"]],
            unread=row["unread"],
            card=cards[row["openid"]],
            window_open=row["last_in"] + CUSTOM_WINDOW > now,
        )
        for row in page_rows
    ]


def last_message_at(openid: str) -> datetime | None:
    """When the follower last wrote to the account (our clock)."""
    return (
        InboxMessage.objects.filter(openid=openid, direction=MessageDirection.IN)
        .aggregate(at=Max("received_at"))
        .get("at")
    )


def window_closes_at(openid: str) -> datetime | None:
    """When WeChat stops accepting customer-service messages to `openid` (None: never open)."""
    last = last_message_at(openid)
    return last + CUSTOM_WINDOW if last else None


def answers_left(openid: str) -> int:
    """How many more answers WeChat takes before the follower writes again: 5 per message,
    less those delivered since their latest one (WeChat's count does not add up over several
    messages; each message sets it back to 5)."""
    latest = (
        InboxMessage.objects.filter(openid=openid, direction=MessageDirection.IN)
        .order_by("-pk")
        .values("pk")[:1]
    )
    sent = InboxMessage.objects.filter(
        openid=openid, direction=MessageDirection.OUT, delivered=True, pk__gt=Subquery(latest)
    ).count()
    return max(CUSTOM_ANSWERS_PER_MESSAGE - sent, 0)


def conversation_mark_read(*, openid: str, upto: int) -> None:
    """Staff have read `openid`'s messages up to id `upto` (never moves back)."""
    with transaction.atomic():
        mark, created = ConversationRead.objects.select_for_update().get_or_create(
            openid=openid, defaults={"read_upto": upto}
        )
        if not created and mark.read_upto < upto:
            mark.read_upto = upto
            mark.read_at = timezone.now()
            mark.save(update_fields=["read_upto", "read_at"])


class InboxError(Exception):
    """A staff action on the inbox failed; `str(exc)` is a sentence for the admin."""


def inbox_answer(
    *, openid: str, by, text: str = "", image: bytes | None = None, filename: str = ""
) -> InboxMessage:
    """Send staff's answer (text or an image) as a customer-service message and store it.

    Raises InboxError with a Chinese sentence when the 48-hour window has closed or the 5
    answers a message allows are used (both checked here first and, for a count or clock that
    disagrees, read from WeChat's 45015 / 45047), WeChat refuses it or cannot be reached; a
    failed attempt is stored too, marked undelivered.
    """
    closes = window_closes_at(openid)
    if closes is None or closes <= timezone.now():
        raise InboxError(str(errors.USER_MESSAGES[errors.CUSTOM_WINDOW_CLOSED_CODE]))
    if answers_left(openid) <= 0:
        raise InboxError(str(errors.USER_MESSAGES[CUSTOM_ANSWERS_CODE]))
    gateway = WeChatGateway()
    message = InboxMessage(
        openid=openid,
        direction=MessageDirection.OUT,
        msg_type="image" if image else "text",
        content=text.strip(),
        sent_at=timezone.now(),
        sent_by=by,
    )
    try:
        if image:
            material = gateway.add_image_material(image, filename or "answer.jpg")
            message.data = {"media_id": material.media_id, "url": material.url}
            gateway.custom_send_image(openid=openid, media_id=material.media_id)
        else:
            gateway.custom_send_text(openid=openid, content=message.content)
    except errors.WeChatError as exc:
        message.delivered = False
        message.error = exc.user_message[:255]
        message.save()
        logger.warning("A customer-service message was refused: %s", exc)
        raise InboxError(exc.user_message) from exc
    message.save()
    return message


# Words of a message that reports news rather than asks something (a hint for staff only: every
# text message can become a tip).
_TIP_WORDS = (
    "举办",
    "举行",
    "活动",
    "报道",
    "投稿",
    "新闻",
    "消息",
    "照片",
    "获奖",
    "校友会",
    "聚会",
)
TIP_MIN_CHARS = 20


def looks_like_tip(message: InboxMessage) -> bool:
    """Whether a follower's text reads like news worth a story: long enough, with one of the
    words reports use."""
    text = message.content if message.msg_type == "text" else ""
    return len(text) >= TIP_MIN_CHARS and any(word in text for word in _TIP_WORDS)


def inbox_message_to_tip(*, message: InboxMessage, by):
    """Turn a follower's text message into a campus-news draft (a liaison-style submission
    waiting for an editor). Raises InboxError for a message without text and the editorial
    errors (NotAllowedError…) of the draft."""
    text = message.content.strip()
    if message.direction != MessageDirection.IN or not text:
        raise InboxError(_("Only a follower's message with text can become a news tip."))
    card = follower_cards([message.openid])[message.openid]
    when = timezone.localtime(message.received_at).strftime("%Y-%m-%d %H:%M")
    source = _("WeChat follower message, %(when)s") % {"when": when}
    if card.bound:
        source += f" · {card.name}"
        if card.class_year:
            source += _(" (class of %(year)s)") % {"year": card.class_year}
    title = " ".join(text.split())[:TIP_TITLE_MAX_CHARS]
    return tip_submit(tip=Tip(title=title, text=text, source=source), by=by)
