from datetime import date

from celery import shared_task
from django.utils import timezone

from wechat.errors import RetryableError

from .services import datacube_rows, views_flush, wechat_stats_catch_up, wechat_stats_sync


@shared_task(acks_late=True)
def views_flush_task() -> int:
    """Move the page views counted in Redis into the daily counters (every minute; nothing to
    do without Redis). Safe to run twice."""
    return views_flush()


@shared_task(
    acks_late=True,
    autoretry_for=(RetryableError,),
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=6,
)
def wechat_stats_sync_task(day: str | None = None) -> int:
    """Store WeChat's read statistics of `day` (ISO date, fetched again even if stored), or,
    without one, of every recent day not stored yet (see wechat_stats_catch_up). Safe to re-run.

    Scheduled daily after 08:00 (Asia/Shanghai), when WeChat has published yesterday's numbers.
    Retries RetryableError; other wechat.errors and StatsRowError fail the task.
    """
    if day:
        return wechat_stats_sync(day=date.fromisoformat(day), fetch=datacube_rows)
    return len(wechat_stats_catch_up(today=timezone.localdate(), fetch=datacube_rows))
