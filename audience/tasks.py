"""Celery tasks of the audience app: thin shells around the services, ids in."""

from celery import shared_task

from wechat.errors import RetryableError

from .errors import SyncBusyError
from .models import Segment
from .services import follower_event_apply, followers_sync, segment_sync

RETRY = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (RetryableError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def followers_sync_task(self, trigger: str = "manual", mode: str = "incremental") -> int | None:
    """Sync the follower list (on demand and nightly), `mode` "incremental" or "full";
    resumes an interrupted run.

    Returns the run's id, or None when another worker is running the sync.
    """
    run = followers_sync(trigger=trigger, mode=mode)
    return run.pk if run else None


@shared_task(acks_late=True)
def follower_event_task(event_id: int) -> None:
    """Apply a stored subscribe/unsubscribe callback to the follower table. Safe to run twice."""
    follower_event_apply(event_id=event_id)


@shared_task(**RETRY)
def segment_sync_task(self, segment_id: int, full: bool = False) -> None:
    """Mirror one segment to its WeChat tag. A sync already running for it wins."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        return
    try:
        segment_sync(segment=segment, full=full)
    except SyncBusyError:
        return


@shared_task(acks_late=True)
def segments_sync_all_task() -> None:
    """Queue a sync of every segment that has a WeChat tag (nightly, after the follower sync)."""
    for pk in Segment.objects.exclude(wechat_tag_id=None).values_list("pk", flat=True):
        segment_sync_task.delay(pk)
