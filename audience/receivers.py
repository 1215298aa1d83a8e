"""The audience app's listeners (connected in AudienceConfig.ready)."""

from django.dispatch import receiver

from core.queueing import enqueue
from wechat.models import CallbackEvent
from wechat.signals import callback_received

from .tasks import follower_event_task


@receiver(callback_received, dispatch_uid="audience.follower_event")
def follower_event_received(sender, event: CallbackEvent, **kwargs) -> None:
    """Queue subscribe/unsubscribe events for the follower table (the callback must answer
    WeChat within 5 seconds, so nothing more happens here). With the broker down the event
    stays stored unprocessed and the nightly follower sync brings the table up to date."""
    if event.event in (CallbackEvent.SUBSCRIBE, CallbackEvent.UNSUBSCRIBE):
        enqueue(follower_event_task, event.pk)
