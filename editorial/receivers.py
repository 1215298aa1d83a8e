"""Editorial's own listeners to its signals (connected in EditorialConfig.ready)."""

from django.dispatch import receiver

from . import notifications
from .signals import item_approved, item_rejected, item_submitted


@receiver(item_submitted, dispatch_uid="editorial.notify_submitted")
def notify_reviewers_on_submit(sender, item, by, **kwargs):
    notifications.notify_submitted(item=item, by=by)


@receiver(item_approved, dispatch_uid="editorial.notify_approved")
def notify_author_on_approve(sender, item, by, **kwargs):
    notifications.notify_approved(item=item, by=by)


@receiver(item_rejected, dispatch_uid="editorial.notify_rejected")
def notify_author_on_reject(sender, item, by, reason="", **kwargs):
    notifications.notify_rejected(item=item, by=by, reason=reason)
