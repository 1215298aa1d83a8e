"""Heartbeats: proof that a Celery worker (and the scheduler) take tasks and finish them.

The beat schedule sends `heartbeat_task` every HEARTBEAT_INTERVAL_SECONDS; the worker that runs
it stamps the time into the shared cache. `manage.py heartbeat` reads the stamp (a health
check for monitoring) or sends a task of its own and waits for a worker to run it.
"""

import time

from django.core.cache import cache

BEAT = "beat"
_KEY = "alumni_cms:heartbeat:{source}"
# A stamp outlives many missed beats, so "last seen 2 hours ago" can still be reported.
_KEEP_SECONDS = 7 * 24 * 3600


def heartbeat_record(*, source: str = BEAT) -> float:
    """Stamp now (seconds since the epoch) as the last heartbeat of `source`; return it."""
    now = time.time()
    cache.set(_KEY.format(source=source), now, timeout=_KEEP_SECONDS)
    return now


def heartbeat_last(*, source: str = BEAT) -> float | None:
    """When `source` last beat (seconds since the epoch), or None if never (or long ago)."""
    return cache.get(_KEY.format(source=source))
