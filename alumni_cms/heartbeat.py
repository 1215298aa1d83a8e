"""Heartbeats: proof that a Celery worker (and the scheduler) take tasks and finish them.

The beat schedule sends `heartbeat_task` every HEARTBEAT_INTERVAL_SECONDS; the worker that runs
it stamps the time into the shared cache. `manage.py heartbeat` reads the stamp (a health
check for monitoring) or sends a task of its own and waits for a worker to run it.

Two more stamps feed the system status page (alumni_cms/status.py): the scheduler stamps
SCHEDULER when it sends that task (its own tick, even with no worker running), and every worker
stamps itself by host name on a timer of its own (alumni_cms/celery.py), so a second worker
that takes no scheduled heartbeat is still seen.
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


SCHEDULER = "scheduler"
_WORKERS_KEY = "alumni_cms:heartbeat:workers"
_WORKER_SOURCE = "worker:{hostname}"


def worker_heartbeat_record(*, hostname: str) -> float:
    """Stamp now as the last sign of life of the worker `hostname` (its own key, so workers
    never overwrite each other's), add it to the list of known workers if it is new, and drop
    from the list workers whose stamp has expired (gone for a week: retired or renamed hosts)."""
    now = heartbeat_record(source=_WORKER_SOURCE.format(hostname=hostname))
    names = cache.get(_WORKERS_KEY) or []
    alive = set(workers_last_of(names)) | {hostname}
    if alive != set(names):
        # Two workers changing the list at once may drop a name: each adds itself again at
        # its next beat.
        cache.set(_WORKERS_KEY, sorted(alive), timeout=_KEEP_SECONDS)
    return now


def workers_last_of(names: list[str]) -> dict[str, float]:
    """{name: last stamp} of those of `names` whose stamp has not expired."""
    if not names:
        return {}
    keys = {name: _KEY.format(source=_WORKER_SOURCE.format(hostname=name)) for name in names}
    found = cache.get_many(list(keys.values()))
    return {name: found[key] for name, key in keys.items() if key in found}


def workers_last() -> dict[str, float | None]:
    """{worker hostname: when it last beat (seconds since the epoch), or None if long ago}."""
    names = cache.get(_WORKERS_KEY) or []
    if not names:
        return {}
    keys = {name: _KEY.format(source=_WORKER_SOURCE.format(hostname=name)) for name in names}
    found = cache.get_many(list(keys.values()))
    return {name: found.get(key) for name, key in keys.items()}


def workers_forget(*, hostnames: list[str]) -> None:
    """Take workers off the list (gone for good: renamed or retired hosts)."""
    names = cache.get(_WORKERS_KEY) or []
    cache.set(_WORKERS_KEY, [name for name in names if name not in hostnames], _KEEP_SECONDS)
