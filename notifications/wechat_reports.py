"""What WeChat reports back about our notifications, and who may get one through WeChat.

- TEMPLATESENDJOBFINISH (CONTRACT.md §16): the delivery of a template message, by its msgid,
  stored on the Notification (`delivery`: delivered, refused by the follower, WeChat failed).
  It may arrive before the send's answer is stored: it then waits unprocessed and
  `delivery_apply_stored` picks it up once the msgid is known.
- subscribe_msg_popup_event / subscribe_msg_change_event: a follower's opt-ins to
  subscription notifications (SubscribeMsgPopupEvent/List: TemplateId, SubscribeStatusString
  "accept" or "reject"; SubscribeMsgChangeEvent/List the same), counted in SubscriptionOptIn.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wechat.models import CallbackEvent

from .models import Channel, Delivery, Notification, SubscriptionOptIn

logger = logging.getLogger(__name__)

TEMPLATE_FINISHED = "TEMPLATESENDJOBFINISH"
OPT_IN_EVENTS = {
    "subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
}


def delivery_of(status: str) -> str:
    """Our Delivery for WeChat's Status: "success", "failed:user block", "failed: system
    failed" (spacing varies in WeChat's own examples)."""
    text = status.strip().lower()
    if text == "success":
        return Delivery.DELIVERED
    if "user block" in text:
        return Delivery.USER_BLOCK
    return Delivery.SYSTEM_FAILED


def delivery_record(*, event: CallbackEvent) -> Notification | None:
    """Store a TEMPLATESENDJOBFINISH on its notification (by msgid) and mark the event
    processed; None (event left unprocessed) while no notification has that msgid yet."""
    msgid = (event.payload or {}).get("msg_id") or event.msg_id
    if not msgid:
        event.mark_processed()
        return None
    notification = Notification.objects.filter(channel=Channel.WECHAT, msgid=msgid).first()
    if notification is None:
        return None
    notification.delivery = delivery_of(str((event.payload or {}).get("status", "")))
    notification.delivery_at = event.sent_at or timezone.now()
    notification.save(update_fields=["delivery", "delivery_at", "updated_at"])
    event.mark_processed()
    return notification


def delivery_apply_stored(*, msgid: str) -> None:
    """Apply a TEMPLATESENDJOBFINISH that came before the send's answer was stored."""
    if not msgid:
        return
    events = CallbackEvent.objects.filter(event=TEMPLATE_FINISHED, msg_id=msgid, processed=False)
    for event in events.order_by("pk"):
        delivery_record(event=event)


def _items(raw: dict, container: str) -> list[dict]:
    block = raw.get(container)
    if not isinstance(block, dict):
        return []
    items = block.get("List")
    items = items if isinstance(items, list) else [items]
    return [item for item in items if isinstance(item, dict)]


def optins_record(*, event: CallbackEvent) -> int:
    """Count a follower's answers in an opt-in popup (or later changes in their settings):
    "accept" allows one more send of that template, "reject" none. Returns how many
    templates were recorded."""
    container = OPT_IN_EVENTS.get(event.event)
    if container is None:
        return 0
    raw = (event.payload or {}).get("raw") or {}
    count = 0
    for item in _items(raw, container):
        template_id = str(item.get("TemplateId", ""))[:128]
        status = str(item.get("SubscribeStatusString", ""))
        if not template_id or status not in ("accept", "reject"):
            continue
        with transaction.atomic():
            optin = SubscriptionOptIn.objects.filter(
                openid=event.from_user, template_id=template_id
            )
            if status == "reject":
                optin.update(remaining=0)
            elif not optin.update(remaining=F("remaining") + 1):
                try:
                    with transaction.atomic():
                        SubscriptionOptIn.objects.create(
                            openid=event.from_user, template_id=template_id, remaining=1
                        )
                except IntegrityError:  # created meanwhile by a concurrent event
                    optin.update(remaining=F("remaining") + 1)
        count += 1
    event.mark_processed()
    return count


def wechat_available(*, openid: str, template_id: str) -> bool:
    """Whether a notification with `template_id` may go to `openid` through WeChat: a
    template message on a service account; on a subscription account only while the
    follower has an opt-in left for that subscription-notification template."""
    if not (openid and template_id):
        return False
    if settings.WECHAT_ACCOUNT_TYPE == "service":
        return True
    return SubscriptionOptIn.objects.filter(
        openid=openid, template_id=template_id, remaining__gt=0
    ).exists()
