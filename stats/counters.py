"""Where page views are counted between a request and `DailyViews`.

Two stores, chosen by configuration, behind the same three functions:

- Redis (`STATS_REDIS_URL`, or the default cache's own server when `CACHE_URL` is redis://):
  each counted view is a `HINCRBY` of its item and day in one hash. `views_flush` renames that
  hash to a batch of its own (later views start a new hash), writes the batch into `DailyViews`
  under its token (`FlushBatch`, so a retried flush never adds it twice) and deletes it.
- Anything else (the embedded file cache): the view is added to its `DailyViews` row at once,
  one `INSERT … ON CONFLICT DO UPDATE`. A page view is then a database write, which one office's
  traffic on one machine affords; a busy site runs Redis anyway.

The marks that tell a repeat view and a new visitor apart (`SET NX` on Redis, `cache.add`
otherwise) are keyed by a daily salted hash of the visitor and expire with the window or the
day: neither address nor browser is ever stored.
"""

import contextlib
import secrets
import threading
import uuid
from datetime import date, timedelta

import redis
from django.conf import settings
from django.core.cache import cache

SALT_TIMEOUT = int(timedelta(days=2).total_seconds())
LIVE = "stats:views"
BATCHES = "stats:views:batches"

_clients: dict[str, redis.Redis] = {}
# Salts already read by this process, by (store, day): one read per day.
_salts: dict[tuple, str] = {}
_salt_lock = threading.Lock()


def redis_url() -> str:
    """The Redis server that holds the counts, or "" for the database store."""
    if settings.STATS_REDIS_URL:
        return settings.STATS_REDIS_URL
    default = settings.CACHES["default"]
    if default["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        location = default["LOCATION"]
        return location[0] if isinstance(location, list | tuple) else location.split(",")[0]
    return ""


def _client() -> redis.Redis | None:
    url = redis_url()
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        # redis-py's clients are thread-safe and its pool reconnects after a fork.
        client = _clients[url] = redis.Redis.from_url(url)
    return client


def day_salt(day: date) -> str:
    """The salt of `day`: random, created by whichever process asks first (in Redis on the
    Redis store, else in the default cache), read once per process and day."""
    default = settings.CACHES["default"]
    memo_key = (redis_url(), default.get("LOCATION"), default.get("KEY_PREFIX"), day)
    salt = _salts.get(memo_key)
    if salt is not None:
        return salt
    with _salt_lock:  # the threads of a process agree (the file cache's add is not atomic)
        salt = _salts.get(memo_key)
        if salt is None:
            salt = _salts[memo_key] = _load_salt(f"stats:salt:{day.isoformat()}")
    return salt


def _load_salt(key: str) -> str:
    client = _client()
    if client is None:
        cache.add(key, secrets.token_hex(16), SALT_TIMEOUT)
        salt = cache.get(key)
    else:
        key = cache.make_key(key)
        client.set(key, secrets.token_hex(16), nx=True, ex=SALT_TIMEOUT)
        salt = (client.get(key) or b"").decode()
    if not salt:
        raise RuntimeError("the cache keeps no salt")
    if len(_salts) > 64:
        _salts.clear()
    return salt


def marks(*, seen: str, seen_seconds: int, visitor: str, visitor_seconds: int) -> tuple[bool, bool]:
    """Set the repeat mark `seen` and the day's visitor mark `visitor` unless they are live:
    (whether the view counts, whether it is a new visitor of the day).

    On the Redis store both in one round trip (a repeat finds the visitor mark of its first
    view: the visitor's hash, and so both marks, change with the day); else in the default
    cache, where the file cache drops random entries beyond its MAX_ENTRIES, so a repeat view
    may then be counted again: an over-count an office can live with.
    """
    client = _client()
    if client is None:
        if not cache.add(seen, 1, max(1, seen_seconds)):
            return False, False
        return True, cache.add(visitor, 1, max(1, visitor_seconds))
    seen_key, visitor_key = cache.make_key(seen), cache.make_key(visitor)
    with client.pipeline(transaction=False) as pipe:
        pipe.set(seen_key, 1, nx=True, ex=max(1, seen_seconds))
        pipe.set(visitor_key, 1, nx=True, ex=max(1, visitor_seconds))
        counted, new_visitor = (bool(answer) for answer in pipe.execute())
    return counted, counted and new_visitor


def add(*, day: date, label: str, object_id: int, visitor: bool) -> None:
    """Count one view of an item on `day` (and one visitor if `visitor`)."""
    client = _client()
    if client is None:
        from .services import daily_views_add

        daily_views_add({(label, object_id, day): [1, int(visitor)]})
        return
    field = f"{day.isoformat()}|{label}|{object_id}|"
    with client.pipeline(transaction=False) as pipe:
        pipe.hincrby(cache.make_key(LIVE), field + "v", 1)
        if visitor:
            pipe.hincrby(cache.make_key(LIVE), field + "u", 1)
        pipe.execute()


def batches() -> list[tuple[str, dict[str, int]]]:
    """The batches of counts waiting for the database: [(token, {field: count})], the views
    since the last flush in a new batch; [] for the database store (nothing waits there).

    A batch stays until `release`: one whose write failed comes back to the next flush.
    """
    client = _client()
    if client is None:
        return []
    live, registry = cache.make_key(LIVE), cache.make_key(BATCHES)
    if client.exists(live):
        token = uuid.uuid4().hex
        with client.pipeline(transaction=True) as pipe:
            pipe.rename(live, cache.make_key(f"{BATCHES}:{token}"))
            pipe.sadd(registry, token)
            # Another flush may have renamed it first: this token then leads to an empty batch.
            with contextlib.suppress(redis.ResponseError):
                pipe.execute()
    found = []
    for raw in sorted(client.smembers(registry)):
        token = raw.decode()
        counts = client.hgetall(cache.make_key(f"{BATCHES}:{token}"))
        if counts:
            found.append((token, {k.decode(): int(v) for k, v in counts.items()}))
        else:
            release(token)
    return found


def release(token: str) -> None:
    """Forget the batch `token` (it is in the database now)."""
    client = _client()
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(cache.make_key(f"{BATCHES}:{token}"))
        pipe.srem(cache.make_key(BATCHES), token)
        pipe.execute()
