"""The notifications app's listeners (connected in NotificationsConfig.ready)."""

import logging

from django.db import transaction
from django.dispatch import receiver

from activities.signals import (
    activity_cancelled,
    activity_changed,
    followup_requested,
    registration_cancelled,
    registration_created,
    registration_promoted,
    reminder_due,
)
from payments.signals import gift_paid
from wechat.models import CallbackEvent
from wechat.signals import callback_received, push_moved

from .models import Kind
from .pushes import push_notify
from .services import registration_notify
from .wechat_reports import OPT_IN_EVENTS, TEMPLATE_FINISHED, delivery_record, optins_record

logger = logging.getLogger(__name__)


@receiver(registration_created, dispatch_uid="notifications.registration_created")
def registration_created_received(sender, registration_id: int, **kwargs) -> None:
    registration_notify(registration_id=registration_id, kind=Kind.SIGNUP)


@receiver(registration_promoted, dispatch_uid="notifications.registration_promoted")
def registration_promoted_received(sender, registration_id: int, **kwargs) -> None:
    registration_notify(registration_id=registration_id, kind=Kind.PROMOTED)


@receiver(registration_cancelled, dispatch_uid="notifications.registration_cancelled")
def registration_cancelled_received(sender, registration_id: int, **kwargs) -> None:
    registration_notify(registration_id=registration_id, kind=Kind.CANCELLED)


# Sent inside the transaction that records the event: the rows are created with it.


@receiver(reminder_due, dispatch_uid="notifications.reminder_due")
def reminder_due_received(sender, registration_ids, when: str, starts_at, **kwargs) -> None:
    kind = Kind.REMINDER_DAY if when == "day" else Kind.REMINDER_HOUR
    for registration_id in registration_ids:
        registration_notify(
            registration_id=registration_id, kind=kind, event=str(int(starts_at.timestamp()))
        )


@receiver(activity_changed, dispatch_uid="notifications.activity_changed")
def activity_changed_received(sender, registration_ids, version: str, **kwargs) -> None:
    for registration_id in registration_ids:
        registration_notify(registration_id=registration_id, kind=Kind.CHANGED, event=version)


@receiver(activity_cancelled, dispatch_uid="notifications.activity_cancelled")
def activity_cancelled_received(sender, registration_ids, **kwargs) -> None:
    for registration_id in registration_ids:
        registration_notify(registration_id=registration_id, kind=Kind.ACTIVITY_CANCELLED)


@receiver(push_moved, dispatch_uid="notifications.push_moved")
def push_moved_received(sender, push_id: int, move: str, **kwargs) -> None:
    """Tell a push's author that it was approved, sent or failed (notifications.pushes)."""
    try:
        push_notify(push_id=push_id, move=move)
    except Exception:
        # send_robust would swallow it without a word; a notice never stops a push.
        logger.exception("The notice of push %s (%s) could not be created", push_id, move)


@receiver(callback_received, dispatch_uid="notifications.wechat_reports")
def wechat_report_received(sender, event: CallbackEvent, **kwargs) -> None:
    """WeChat's delivery report of a template message, or a follower's opt-ins to
    subscription notifications: one indexed UPDATE or two, inside WeChat's 5 seconds."""
    if event.event == TEMPLATE_FINISHED:
        delivery_record(event=event)
    elif event.event in OPT_IN_EVENTS:
        optins_record(event=event)


@receiver(followup_requested, dispatch_uid="notifications.followup_requested")
def followup_requested_received(sender, registration_ids, survey_id: int, **kwargs) -> None:
    for registration_id in registration_ids:
        registration_notify(
            registration_id=registration_id, kind=Kind.FOLLOWUP_SURVEY, event=str(survey_id)
        )


@receiver(gift_paid, dispatch_uid="notifications.gift_paid")
def gift_paid_received(sender, order_id: int, **kwargs) -> None:
    """Thank an online donor (notifications.gifts); a failure is logged, never raised: the
    gift is recorded and committed already."""
    from .gifts import gift_thank

    try:
        with transaction.atomic():
            gift_thank(order_id=order_id)
    except Exception:
        logger.exception("The thank-you for online order %s could not be created", order_id)
