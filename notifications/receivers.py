"""The notifications app's listeners (connected in NotificationsConfig.ready)."""

from django.dispatch import receiver

from activities.signals import registration_cancelled, registration_created, registration_promoted

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
