"""The notifications app's listeners (connected in NotificationsConfig.ready)."""

from django.dispatch import receiver

from activities.signals import (
    activity_cancelled,
    activity_changed,
    registration_cancelled,
    registration_created,
    registration_promoted,
    reminder_due,
)

from .models import Kind
from .services import registration_notify


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
