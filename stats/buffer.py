"""The page-view buffer: counts kept in the cache between two flushes.

A page view must not touch the database (no row lock, no write per request), so it only adds
to counters in the cache; `stats.services.views_flush` moves them into `DailyViews` every minute.
Not even the cache is called during the request: a view is put in this process's outbox, and a
background thread hands the outbox to the buffer every OUTBOX_SECONDS in one call (a round trip
to Redis per view cost more than 5% of a page's throughput). A process that dies loses at
most that last fraction of a second of views.

One buffer interface, two implementations, chosen by the backend of the `default` cache:

- `RedisViewBuffer` (Redis, production and CI): one Lua script per batch does each view's
  repeat check, distinct-visitor check and increments atomically, in a single round trip. All
  counts live in one hash, which is its own registry of dirty keys: the flush renames it away
  atomically (later views start a new hash), so no increment is lost or counted twice.
- `SqliteViewBuffer` (any other backend; meant for the file cache on one machine): the same
  steps in SQLite transactions, in a file in the cache's folder rather than as cache entries,
  because the file cache deletes entries at random once it holds more than MAX_ENTRIES.

A claimed batch carries a token until it is released, so a flush that died half-way is retried
with the same token and `FlushBatch` tells whether it was already written.
"""

import atexit
import hashlib
import itertools
import logging
import operator
import os
import secrets
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple, Protocol

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

BATCH_FIELD = "__batch"
SALT_TIMEOUT = int(timedelta(days=2).total_seconds())

OUTBOX_SECONDS = 0.5
OUTBOX_BATCH = 500  # views per call to the buffer

# The buffer of each cache object (one per thread and settings change, as Django makes them).
_buffers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Salts already read by this process, by (buffer identity, day): one cache read per day.
_salts: dict[tuple[str, date], str] = {}


class View(NamedTuple):
    """One view to count: the repeat mark, the day's visitor mark and the two counter fields."""

    seen_key: str
    visitor_key: str
    fields: str  # "<day>|<item>|": + "v" counts views, + "u" distinct visitors
    repeat_seconds: int
    visitor_expires: int  # epoch seconds: a minute after the site's midnight


_window = operator.attrgetter("repeat_seconds", "visitor_expires")


class ViewBuffer(Protocol):
    identity: str

    def load_salt(self, day: date) -> str:
        """The day's random salt, created by whichever process asks first."""

    def record_many(self, views: list["View"]) -> int:
        """Count each view unless its `seen_key` is live; returns how many were counted."""

    def claim(self) -> tuple[str, dict[str, int]]:
        """Take the counts for a flush: (token, {field: count}); ("", {}) when there are none.

        A batch claimed before and not released is returned again, with its old token.
        """

    def release(self, token: str) -> None:
        """Forget the claimed batch `token` (it is in the database now)."""


def view_buffer() -> ViewBuffer:
    """The buffer on the `default` cache."""
    cache = caches["default"]
    buffer = _buffers.get(cache)
    if buffer is None:
        kind = RedisViewBuffer if isinstance(cache, RedisCache) else SqliteViewBuffer
        buffer = _buffers[cache] = kind(cache)
    return buffer


def day_salt(buffer: ViewBuffer, day: date) -> str:
    """The salt of `day`, read from the cache once per process and day."""
    key = (buffer.identity, day)
    salt = _salts.get(key)
    if salt is None:
        salt = buffer.load_salt(day)
        if len(_salts) > 64:
            _salts.clear()
        _salts[key] = salt
    return salt


# The outbox -------------------------------------------------------------------------------------


class _Outbox:
    """Views this process has seen and not yet handed to their buffer, by buffer."""

    def __init__(self):
        self._reset()
        atexit.register(self.send)
        # A forked worker (gunicorn) starts empty: the parent's thread did not come along.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self.lock = threading.Lock()  # guards `views`; held only to append or swap
        self.sending = threading.Lock()  # one send at a time, so send() returns after it
        self.views: dict[str, tuple[ViewBuffer, list[View]]] = {}
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def add(self, buffer: ViewBuffer, view: View) -> None:
        with self.lock:
            entry = self.views.get(buffer.identity)
            if entry is None:
                entry = self.views[buffer.identity] = (buffer, [])
            queued = entry[1]
            queued.append(view)
            if len(queued) >= OUTBOX_BATCH:
                self.wake.set()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="stats-outbox", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            self.wake.wait(OUTBOX_SECONDS)
            self.wake.clear()
            try:
                self.send()
            except Exception:
                logger.exception("Could not hand page views to the buffer")

    def send(self) -> int:
        """Hand every view queued so far to its buffer; returns how many were counted.

        Views that the buffer refuses (say Redis is down) are logged and dropped: statistics
        must not pile up in a web process's memory.
        """
        counted = 0
        with self.sending:
            with self.lock:
                batches, self.views = self.views, {}
            for buffer, views in batches.values():
                for start in range(0, len(views), OUTBOX_BATCH):
                    chunk = views[start : start + OUTBOX_BATCH]
                    try:
                        counted += buffer.record_many(chunk)
                    except Exception:
                        logger.exception("Dropped %s page views: the buffer failed", len(chunk))
        return counted


outbox = _Outbox()


# Redis -----------------------------------------------------------------------------------------

# KEYS: the counts hash, then each view's repeat and visitor marks; ARGV: the repeat window and
# the visitor marks' lifetime (the same for a batch of one day), then each view's field prefix.
# Three values a view, not six: packing the command is most of what a batch costs the web process.
_RECORD = b"""
local repeat_seconds, visitor_seconds = ARGV[1], ARGV[2]
local counted = 0
for i = 3, #ARGV do
  local mark = 2 * i - 4
  if redis.call('SET', KEYS[mark], '1', 'NX', 'EX', repeat_seconds) then
    counted = counted + 1
    redis.call('HINCRBY', KEYS[1], ARGV[i] .. 'v', 1)
    if redis.call('SET', KEYS[mark + 1], '1', 'NX', 'EX', visitor_seconds) then
      redis.call('HINCRBY', KEYS[1], ARGV[i] .. 'u', 1)
    end
  end
end
return counted
"""
_CLAIM = b"""
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return redis.call('HGETALL', KEYS[2])
"""
_RELEASE = b"""
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class _Script:
    """A Lua script run by EVALSHA, loaded into the server the first time it is missing."""

    def __init__(self, source: bytes):
        self.source = source
        self.sha = hashlib.sha1(source).hexdigest()

    def __call__(self, client, keys: list, args: list):
        from redis.exceptions import NoScriptError

        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            client.script_load(self.source)
            return client.evalsha(self.sha, len(keys), *keys, *args)


_redis_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_record = _Script(_RECORD)
_claim = _Script(_CLAIM)
_release = _Script(_RELEASE)


class RedisViewBuffer:
    def __init__(self, cache: RedisCache):
        self.cache = cache
        self.identity = f"redis:{cache._servers}:{cache.key_prefix}"
        self.buffer_key = cache.make_key("stats:buffer")
        self.pending_key = cache.make_key("stats:buffer:pending")

    def _client(self):
        # Django's get_client() builds a new redis.Redis per call, which costs more than the
        # round trip itself (~0.3 ms: its response-callback table); one per cache client will do.
        client = _redis_clients.get(self.cache._cache)
        if client is None:
            client = _redis_clients[self.cache._cache] = self.cache._cache.get_client(write=True)
        return client

    def load_salt(self, day: date) -> str:
        key = f"stats:salt:{day.isoformat()}"
        for _attempt in range(3):
            self.cache.add(key, secrets.token_hex(16), SALT_TIMEOUT)
            salt = self.cache.get(key)
            if salt:
                return salt
        raise RuntimeError("the cache keeps no salt")

    def record_many(self, views: list[View]) -> int:
        make_key = self.cache.make_key
        client, now, counted = self._client(), time.time(), 0
        # One call per run of views with the same window and day: one call in all, but for a
        # batch that spans midnight or a change of STATS_REPEAT_WINDOW.
        for (repeat_seconds, expires), run in itertools.groupby(views, key=_window):
            keys, fields = [self.buffer_key], []
            for view in run:
                keys += [make_key(view.seen_key), make_key(view.visitor_key)]
                fields.append(view.fields)
            args = [repeat_seconds, max(60, int(expires - now)), *fields]
            counted += int(_record(client, keys, args))
        return counted

    def claim(self) -> tuple[str, dict[str, int]]:
        flat = _claim(
            self._client(), [self.buffer_key, self.pending_key], [BATCH_FIELD, uuid.uuid4().hex]
        )
        data = {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}
        token = data.pop(BATCH_FIELD, "")
        return token, {field: int(value) for field, value in data.items()}

    def release(self, token: str) -> None:
        _release(self._client(), [self.pending_key], [BATCH_FIELD, token])


# Any other cache: a SQLite file in the cache's folder -----------------------------------------

_local = threading.local()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counts (field TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (field TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


def _use_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (kept in the file, so once is enough).

    Switching the journal mode needs the file to itself and SQLite answers "database is locked"
    at once, without its busy timeout, while another connection is open: threads that open the
    buffer together wait their turn here instead of failing (and dropping their views).
    """
    for attempt in range(200):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 199:
                raise
            time.sleep(0.01)


class SqliteViewBuffer:
    """The buffer in a SQLite file beside the file cache's entries (or in DATA_DIR/stats).

    Not in the file cache's own entries: that cache deletes a random third of them whenever it
    holds more than MAX_ENTRIES (300 by default), which lost repeat marks under load. SQLite
    gives the atomic steps across processes and threads that the file cache does not.
    """

    def __init__(self, cache):
        directory = Path(getattr(cache, "_dir", None) or settings.DATA_DIR / "stats")
        self.path = directory / "stats-buffer.sqlite3"
        self.identity = f"sqlite:{self.path}"

    def _db(self) -> sqlite3.Connection:
        connections = getattr(_local, "connections", None)
        if connections is None or _local.pid != os.getpid():
            connections = _local.connections = {}
            _local.pid = os.getpid()
        db = connections.get(self.path)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 30000")
            _use_wal(db)
            db.executescript(_SCHEMA)
            db.execute("PRAGMA synchronous = NORMAL")
            connections[self.path] = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def load_salt(self, day: date) -> str:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                (f"salt:{day.isoformat()}", secrets.token_hex(16)),
            )
            db.execute(
                "DELETE FROM meta WHERE name LIKE 'salt:%' AND name < ?",
                (f"salt:{(day - timedelta(days=1)).isoformat()}",),
            )
            (salt,) = db.execute(
                "SELECT value FROM meta WHERE name = ?", (f"salt:{day.isoformat()}",)
            ).fetchone()
        return salt

    def record_many(self, views: list[View]) -> int:
        now, counted = time.time(), 0
        with self._transaction() as db:
            for view in views:
                if not self._mark(db, view.seen_key, now, now + view.repeat_seconds):
                    continue
                counted += 1
                fields = [view.fields + "v"]
                if self._mark(db, view.visitor_key, now, max(now + 60, view.visitor_expires)):
                    fields.append(view.fields + "u")
                db.executemany(
                    "INSERT INTO counts VALUES (?, 1) ON CONFLICT (field) DO UPDATE SET n = n + 1",
                    [(field,) for field in fields],
                )
        return counted

    @staticmethod
    def _mark(db, key: str, now: float, expires: float) -> bool:
        """Set `key` unless it is live; whether it was set."""
        db.execute("DELETE FROM seen WHERE key = ? AND expires <= ?", (key, now))
        return db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, expires)).rowcount == 1

    def claim(self) -> tuple[str, dict[str, int]]:
        with self._transaction() as db:
            db.execute("DELETE FROM seen WHERE expires <= ?", (time.time(),))
            row = db.execute("SELECT value FROM meta WHERE name = 'pending'").fetchone()
            if row is None:
                if db.execute("SELECT 1 FROM counts LIMIT 1").fetchone() is None:
                    return "", {}
                row = (uuid.uuid4().hex,)
                db.execute("INSERT INTO meta VALUES ('pending', ?)", row)
                db.execute("INSERT INTO pending SELECT field, n FROM counts")
                db.execute("DELETE FROM counts")
            return row[0], dict(db.execute("SELECT field, n FROM pending").fetchall())

    def release(self, token: str) -> None:
        with self._transaction() as db:
            if db.execute(
                "DELETE FROM meta WHERE name = 'pending' AND value = ?", (token,)
            ).rowcount:
                db.execute("DELETE FROM pending")
