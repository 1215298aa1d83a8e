from celery import shared_task

from .heartbeat import BEAT, heartbeat_record


@shared_task(acks_late=True, ignore_result=True)
def heartbeat_task(source: str = BEAT) -> float:
    """Stamp a heartbeat of `source` in the cache (the scheduler sends one every
    HEARTBEAT_INTERVAL_SECONDS). Safe to run twice: a later stamp replaces the earlier one."""
    return heartbeat_record(source=source)
