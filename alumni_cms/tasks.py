from celery import shared_task

from .heartbeat import BEAT, heartbeat_record


@shared_task(acks_late=True, ignore_result=True)
def heartbeat_task(source: str = BEAT) -> float:
    """Stamp a heartbeat of `source` in the cache (the scheduler sends one every
    HEARTBEAT_INTERVAL_SECONDS). Safe to run twice: a later stamp replaces the earlier one."""
    return heartbeat_record(source=source)


@shared_task(acks_late=True, ignore_result=True)
def failures_notify_task() -> int:
    """Find failed or stuck pushes and syncs and mail the office admins about each new one,
    once (every minute). Safe to run twice: a problem mailed is marked so."""
    from .status import problems_notify

    return problems_notify()


@shared_task(acks_late=True, ignore_result=True)
def media_usage_task() -> dict:
    """Measure MEDIA_ROOT's size and its disk's use for the status page (every 30 minutes)."""
    from .status import media_usage_measure

    return media_usage_measure()


@shared_task(acks_late=True, ignore_result=True)
def retention_task() -> dict:
    """Delete what has outlived its retention setting (nightly; alumni_cms.retention). Safe to
    run twice: a second run finds nothing left to delete."""
    from .retention import retention_run

    return retention_run()
