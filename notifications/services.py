"""Creating and sending notifications.

A notification is created once per event and channel (the unique key) and queued after the
commit; `notification_send` claims it under a row lock and commits before it calls the mail
server or WeChat, then stores the answer, so a task that runs twice sends once. A retryable
failure waits (exponential backoff) and tries again up to NOTIFICATIONS_RETRY_MAX attempts; a
final failure is stored on the row, never raised. Nothing here can break the sign-up it follows.

Another notification (a reminder, a waitlist or approval notice, a ticket) is a new `Kind`, its
words in messages.py and a receiver that calls `registration_notify` with its kind (or, for
another subject than a registration, a sibling that creates rows with its own `key`); sending,
retries and the record come with it.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from activities.models import Registration
from audience.models import Follower
from core.queueing import enqueue

from .channels import SENDERS, Final, Retry
from .messages import push_message, registration_message
from .models import Channel, Kind, Notification, NotificationState
from .wechat_reports import delivery_apply_stored, wechat_available

logger = logging.getLogger(__name__)

SENDABLE = (NotificationState.PENDING, NotificationState.RETRYING)


@dataclass
class NotificationRetry(Exception):
    """The send failed for now; try again in `countdown` seconds."""

    countdown: int


def _recipients(registration: Registration) -> list[tuple[str, str]]:
    """(channel, recipient) pairs a registration's notifications go to: its e-mail address;
    the openid of the followed WeChat account bound to its alumni record, when
    WECHAT_TEMPLATE_SIGNUP names a template (on a subscription account: one the follower
    opted in to)."""
    recipients = []
    if registration.email:
        recipients.append((Channel.EMAIL, registration.email))
    if registration.alumnus_id and settings.WECHAT_TEMPLATE_SIGNUP:
        openid = (
            Follower.objects.filter(
                alumnus_id=registration.alumnus_id,
                subscribed=True,
                alumnus__deleted_at__isnull=True,
            )
            .values_list("openid", flat=True)
            .first()
        )
        if openid and wechat_available(openid=openid, template_id=settings.WECHAT_TEMPLATE_SIGNUP):
            recipients.append((Channel.WECHAT, openid))
    return recipients


def registration_notify(*, registration_id: int, kind: str, event: str = "") -> list[Notification]:
    """Create the `kind` notifications of a registration (one per channel it can reach) and
    queue them after the commit. An event already notified creates nothing again (`event`
    tells apart events of one kind, e.g. the start a reminder is for). Returns the
    notifications created now."""
    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None:
        return []
    key = f"activities.registration:{registration.pk}:{kind}"
    if event:
        key = f"{key}:{event}"
    created = []
    for channel, recipient in _recipients(registration):
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    key=key,
                    channel=channel,
                    kind=kind,
                    registration=registration,
                    recipient=recipient,
                )
        except IntegrityError:
            continue  # this event went out (or is going out) on this channel already
        created.append(notification)
        transaction.on_commit(lambda pk=notification.pk: _queue(pk), robust=True)
    return created


def _queue(notification_id: int) -> bool:
    # Imported here: tasks imports this module.
    from .tasks import notification_send_task

    return enqueue(notification_send_task, notification_id)


def _backoff(attempts: int) -> int:
    base = settings.NOTIFICATIONS_RETRY_BACKOFF_BASE
    delay = min(settings.NOTIFICATIONS_RETRY_BACKOFF_MAX, base * 2 ** max(0, attempts - 1))
    return int(delay + random.uniform(0, delay / 4))


def _event_of(notification: Notification) -> str:
    """What registration_notify's `event` was ("activities.registration:<id>:<kind>:<event>"),
    e.g. the survey a follow-up links to."""
    parts = notification.key.split(":", 3)
    return parts[3] if len(parts) == 4 else ""


def notification_send(*, notification_id: int) -> Notification:
    """Send one notification if it is waiting; a sent or failed one is returned as it is.

    Raises NotificationRetry (with the countdown) after a retryable failure while attempts are
    left; the row then waits in RETRYING. A final failure, or the last attempt, leaves FAILED
    with the error stored.
    """
    with transaction.atomic():
        # Only the notification's row is locked (PostgreSQL refuses to lock the nullable side of
        # the registration's outer join).
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("registration__activity")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.state not in SENDABLE:
            return notification
        # Claimed and committed before the call: a second run meanwhile finds SENDING and stops.
        notification.state = NotificationState.SENDING
        notification.attempts += 1
        notification.next_attempt_at = None
        notification.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    try:
        if notification.push_id is not None:
            message = push_message(notification.push, notification.kind)
        elif notification.kind == Kind.GIFT_THANKS:
            message = _gift_message(notification)
        elif notification.registration is None:
            raise Final("the registration no longer exists")
        else:
            message = registration_message(
                notification.registration, notification.kind, event=_event_of(notification)
            )
        msgid = SENDERS[notification.channel](notification, message)
    except Retry as exc:
        if notification.attempts >= settings.NOTIFICATIONS_RETRY_MAX:
            return _finish(notification, NotificationState.FAILED, error=str(exc))
        countdown = _backoff(notification.attempts)
        _finish(
            notification,
            NotificationState.RETRYING,
            error=str(exc),
            next_attempt_at=timezone.now() + timedelta(seconds=countdown),
        )
        raise NotificationRetry(countdown) from exc
    except Final as exc:
        return _finish(notification, NotificationState.FAILED, error=str(exc))
    except Exception as exc:
        # A bug or an unexpected answer: stored for the office, never raised into a worker loop.
        logger.exception("Notification %s failed unexpectedly", notification.pk)
        return _finish(notification, NotificationState.FAILED, error=f"{type(exc).__name__}")
    sent = _finish(notification, NotificationState.SENT, msgid=msgid, sent_at=timezone.now())
    delivery_apply_stored(msgid=msgid)  # WeChat's report may have come before our record
    return sent


def _gift_message(notification: Notification):
    """The words of an online donor's thank-you (notifications.gifts)."""
    from payments.models import OnlineOrder

    from .gifts import order_id_of
    from .messages import gift_message

    order = (
        OnlineOrder.objects.select_related("project").filter(pk=order_id_of(notification)).first()
    )
    if order is None:
        raise Final("the order no longer exists")
    return gift_message(order)


def _finish(notification: Notification, state: str, **fields) -> Notification:
    notification.state = state
    for name, value in fields.items():
        setattr(notification, name, value)
    notification.save(update_fields=["state", *fields, "updated_at"])
    logger.info(
        "Notification %s (%s) %s after %d attempt(s)",
        notification.pk,
        notification.channel,
        state,
        notification.attempts,
    )
    return notification


def notifications_dispatch_due(*, now=None) -> int:
    """Queue the notifications that wait without a task: queued while the broker was down
    (PENDING for a minute), due for another try (RETRYING), or claimed by a worker that died
    (SENDING past NOTIFICATIONS_SENDING_LEASE, set back to RETRYING). Returns how many."""
    now = now or timezone.now()
    stale = now - settings.NOTIFICATIONS_SENDING_LEASE
    Notification.objects.filter(state=NotificationState.SENDING, updated_at__lt=stale).update(
        state=NotificationState.RETRYING, next_attempt_at=now
    )
    due = Notification.objects.filter(
        Q(state=NotificationState.PENDING, created_at__lt=now - timedelta(minutes=1))
        | Q(state=NotificationState.RETRYING, next_attempt_at__lte=now)
    ).values_list("pk", flat=True)[:500]
    return sum(1 for pk in list(due) if _queue(pk))
