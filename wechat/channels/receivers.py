"""wechat.channels' listeners (connected in ChannelsConfig.ready)."""

from django.dispatch import receiver

from ..models import CallbackEvent
from ..signals import callback_received
from .services import channel_scan_record


@receiver(callback_received, dispatch_uid="wechat.channels.scan")
def channel_scan_received(sender, event: CallbackEvent, **kwargs) -> None:
    """Attribute a QR-code follow or scan to its channel. Done in the callback request: one
    indexed look-up and one insert, no call to WeChat, well inside WeChat's 5 seconds."""
    channel_scan_record(event=event)
