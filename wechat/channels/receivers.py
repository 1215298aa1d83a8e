"""wechat.channels' listeners (connected in ChannelsConfig.ready)."""

import logging

from django.dispatch import receiver

from ..models import CallbackEvent
from ..signals import callback_received
from .models import Channel
from .services import channel_scan_record
from .signals import channel_scanned

logger = logging.getLogger(__name__)


@receiver(callback_received, dispatch_uid="wechat.channels.scan")
def channel_scan_received(sender, event: CallbackEvent, **kwargs) -> None:
    """Attribute a QR-code follow or scan to its channel. Done in the callback request: one
    indexed look-up and one insert, no call to WeChat, well inside WeChat's 5 seconds."""
    channel_scan_record(event=event)


@receiver(channel_scanned, dispatch_uid="wechat.channels.door_check_in")
def door_check_in(sender, channel_id: int, openid: str, content_type_id, object_id, **kwargs):
    """A follower bound to an alumni record scanned an activity's channel code: ask activities
    to check their sign-up in at the door named after the channel (activities.signals
    .check_in_requested; one conditional UPDATE there). Others' scans only count."""
    if not (content_type_id and object_id and openid):
        return
    from django.contrib.contenttypes.models import ContentType

    from activities.models import Activity
    from activities.signals import check_in_requested
    from alumni.models import Alumnus

    if ContentType.objects.get_for_id(content_type_id).model_class() is not Activity:
        return
    alumnus_id = (
        Alumnus.objects.filter(wechat_openid=openid, deleted_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if alumnus_id is None:
        return
    door = Channel.objects.filter(pk=channel_id).values_list("name", flat=True).first() or ""
    for receiver_, result in check_in_requested.send_robust(
        sender=Channel, activity_id=object_id, alumnus_id=alumnus_id, door=door[:40] or "WeChat"
    ):
        if isinstance(result, Exception):
            logger.error("A door check-in after a scan failed: %r", receiver_, exc_info=result)
