"""The activities app's listeners (connected in ActivitiesConfig.ready)."""

import logging

from django.dispatch import receiver

from editorial.actors import SYSTEM
from editorial.signals import item_published

from .checkin import check_in_alumnus
from .models import Activity
from .schedule import activity_announce
from .services import waitlist_fill
from .signals import check_in_requested

logger = logging.getLogger(__name__)


@receiver(item_published, dispatch_uid="activities.item_published")
def activity_published(sender, item, **kwargs) -> None:
    """A (re)published activity: tell its sign-ups when the time or place changed, and move
    the waitlist up into places a raised capacity freed."""
    if not isinstance(item, Activity):
        return
    try:
        activity_announce(activity_id=item.pk)
        # A capacity raised in the edit gives its new places to the waitlist now.
        waitlist_fill(activity_id=item.pk)
    except Exception:
        # editorial sends with send(): a raise here would stop its other listeners.
        logger.exception("Announcing activity %s failed", item.pk)


@receiver(check_in_requested, dispatch_uid="activities.check_in_requested")
def check_in_requested_received(sender, activity_id: int, alumnus_id: int, door: str, **kwargs):
    """An alumnus is at the door (a WeChat scan): check their sign-up in, as the system."""
    return check_in_alumnus(activity_id=activity_id, alumnus_id=alumnus_id, door=door, by=SYSTEM)
