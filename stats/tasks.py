from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from .services import datacube_rows, views_flush, wechat_stats_sync


@shared_task(acks_late=True)
def views_flush_task() -> int:
    """Move the buffered page views into the daily counters (every minute). Safe to run twice."""
    return views_flush()


@shared_task(acks_late=True)
def wechat_stats_sync_task(day: str | None = None) -> int:
    """Store WeChat's read statistics of `day` (ISO date; default yesterday). Safe to re-run.

    Not scheduled yet: WeChat publishes a day's numbers after 08:00 the next morning.
    """
    when = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    return wechat_stats_sync(day=when, fetch=datacube_rows)
