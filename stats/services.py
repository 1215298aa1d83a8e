"""Counting page views and storing WeChat read statistics.

A public page view goes `ViewCountMiddleware` → `view_record` → `DailyViews`, on Redis through
a hash that `views_flush` empties every minute (`stats.tasks.views_flush_task`; see
stats.counters). WeChat's datacube rows go `wechat_stats_sync` → `wechat_stats_store` →
`WeChatArticleStat` / `WeChatReadSource`.
"""

import dataclasses
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from time import time as clock
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import counters
from .errors import StatsRowError
from .models import (
    DailyViews,
    FlushBatch,
    UserSource,
    WeChatArticleStat,
    WeChatReadSource,
    WeChatSyncedDay,
)

logger = logging.getLogger(__name__)

# Crawlers, link previews, monitors, scripts and headless browsers: none of them is a reader.
# Matched against the lower-cased User-Agent (faster than a case-insensitive pattern).
BOT_USER_AGENT = re.compile(
    r"bot|spider|crawl|slurp|archiver|curl|wget|python-requests|python-urllib|httpx|aiohttp|"
    r"go-http-client|okhttp|java/|libwww|scrapy|headless|phantomjs|selenium|puppeteer|"
    r"playwright|lighthouse|facebookexternalhit|preview|monitor|uptime|pingdom|apachebench|"
    r"^wrk"
)
FLUSH_BATCHES_KEPT = timedelta(days=7)


@functools.lru_cache(maxsize=2048)
def is_bot(user_agent: str) -> bool:
    """Whether a User-Agent is a robot's (an empty one counts as a robot).

    Remembered per User-Agent: readers come with a few hundred distinct ones, and the pattern
    costs more than the rest of counting a view put together.
    """
    return not user_agent.strip() or BOT_USER_AGENT.search(user_agent.lower()) is not None


@functools.cache
def _site_zone() -> ZoneInfo:
    # The site's own zone, not the request's active one: a day of statistics is a day in
    # Shanghai for every reader (and Django's active-zone lookup costs more than the rest here).
    return ZoneInfo(settings.TIME_ZONE)


def visitor_hash(*, salt: str, ip: str, user_agent: str) -> str:
    """A visitor's pseudonym for one day: useless without that day's salt, which expires."""
    return hashlib.sha256(f"{salt}\n{ip}\n{user_agent}".encode()).hexdigest()[:32]


class _Day(NamedTuple):
    """A day in the site's zone, as counting needs it."""

    day: date
    iso: str
    starts: float  # its midnight, in epoch seconds
    ends: float  # the next midnight


_today: _Day | None = None  # the day of the latest view, so most views skip the date maths


def _day_at(timestamp: float) -> _Day:
    global _today
    today = _today
    if today is not None and today.starts <= timestamp < today.ends:
        return today
    zone = _site_zone()
    day = datetime.fromtimestamp(timestamp, zone).date()
    today = _Day(
        day=day,
        iso=day.isoformat(),
        starts=datetime.combine(day, time.min, zone).timestamp(),
        ends=datetime.combine(day + timedelta(days=1), time.min, zone).timestamp(),
    )
    _today = today  # a whole tuple at once: threads see the old day or the new one
    return today


def view_record(
    *, model_label: str, object_id: int, ip: str, user_agent: str, now: datetime | None = None
) -> bool:
    """Count one public view of an item; False for a robot, which is not counted.

    The same visitor (IP and User-Agent) viewing the same item again within STATS_REPEAT_WINDOW
    is not counted again, and counts as one visitor a day. Only a daily salted hash of the
    visitor reaches the cache, and only until the window or the day ends. The view reaches
    `DailyViews` at once or with the next `views_flush` (see stats.counters). Raises whatever
    the cache or Redis raises.
    """
    if is_bot(user_agent):
        return False
    timestamp = now.timestamp() if now is not None else clock()
    day = _day_at(timestamp)
    visitor = visitor_hash(salt=counters.day_salt(day.day), ip=ip, user_agent=user_agent)
    label, object_id = model_label.lower(), int(object_id)
    item = f"{label}|{object_id}"
    counted, new_visitor = counters.marks(
        seen=f"stats:seen:{visitor}:{item}",
        seen_seconds=int(settings.STATS_REPEAT_WINDOW.total_seconds()),
        # The visitor mark lives until a minute after the site's midnight.
        visitor=f"stats:visitor:{day.iso}:{visitor}:{item}",
        visitor_seconds=int(day.ends + 60 - timestamp),
    )
    if not counted:
        return True
    counters.add(day=day.day, label=label, object_id=object_id, visitor=new_visitor)
    return True


def views_flush() -> int:
    """Move the counts waiting in Redis into `DailyViews`; returns how many day rows it added
    to (0 on the database store, where views are added at once).

    Safe to run twice, or in two workers at once: a batch is written under its token once
    (`FlushBatch`), and a batch whose write failed stays in Redis for the next run.
    Raises database and Redis errors (the batch is then kept).
    """
    added = 0
    for token, counts in counters.batches():
        rows = _daily_rows(counts)
        with transaction.atomic():
            _batch, created = FlushBatch.objects.get_or_create(token=token)
            if created:
                daily_views_add(rows)
                added += len(rows)
            FlushBatch.objects.filter(flushed_at__lt=timezone.now() - FLUSH_BATCHES_KEPT).delete()
        counters.release(token)
    return added


def _daily_rows(counts: dict[str, int]) -> dict[tuple[str, int, date], list[int]]:
    """{(model label, object id, day): [views, visitors]} from a batch's fields."""
    rows: dict[tuple[str, int, date], list[int]] = {}
    for field, count in counts.items():
        try:
            day, label, object_id, kind = field.split("|")
            key = (label, int(object_id), date.fromisoformat(day))
        except ValueError:
            logger.warning("Dropped a malformed view counter %r", field)
            continue
        rows.setdefault(key, [0, 0])[0 if kind == "v" else 1] += int(count)
    return rows


def daily_views_add(rows: dict[tuple[str, int, date], list[int]]) -> None:
    """Add {(model label, object id, day): [views, visitors]} to the stored `DailyViews`.

    One INSERT … ON CONFLICT DO UPDATE per row (PostgreSQL and SQLite): atomic per row without
    a lock, and right even if another writer got there first. Unknown models are logged and
    dropped.
    """
    content_types: dict[str, int | None] = {}
    params = []
    for (label, object_id, day), (views, visitors) in sorted(rows.items()):
        if label not in content_types:
            try:
                content_types[label] = ContentType.objects.get_for_model(apps.get_model(label)).pk
            except (LookupError, ValueError):
                content_types[label] = None
        if content_types[label] is None:
            logger.warning("Dropped view counters of an unknown model %r", label)
            continue
        day_value = connection.ops.adapt_datefield_value(day)
        params.append((content_types[label], object_id, day_value, views, visitors))
    if not params:
        return
    quote = connection.ops.quote_name
    table = quote(DailyViews._meta.db_table)
    content_type = quote(DailyViews._meta.get_field("content_type").column)
    sql = (
        f"INSERT INTO {table} ({content_type}, object_id, day, views, visitors) "
        f"VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT ({content_type}, object_id, day) DO UPDATE SET "
        f"views = {table}.views + excluded.views, visitors = {table}.visitors + excluded.visitors"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def wechat_stats_store(*, rows: Iterable, day: date) -> int:
    """Store one day's datacube rows, replacing what was stored for the same push/source and day.

    `rows` mixes getarticlesummary rows (with `msgid` = "<msg_data_id>_<index>") and getuserread
    rows (with `user_source`), as dicts in WeChat's field names or the gateway's dataclasses.
    A row is stored under its `ref_date`, else under `day`. An article row whose msg_data_id is
    one of our pushes is linked to that push and to the item at its index (`PushItem.position`).
    Returns how many rows were stored. Raises StatsRowError, before storing anything, when a
    row is not understood.
    """
    articles: dict[tuple[str, int, date], dict] = {}
    sources: dict[tuple[date, int], dict] = {}
    for row in rows:
        data = dataclasses.asdict(row) if dataclasses.is_dataclass(row) else dict(row)
        row_day = _row_day(data, default=day)
        counters = {name: _integer(data, name) for name in WeChatArticleStat.COUNTERS}
        if data.get("msgid") or data.get("msg_data_id"):
            msg_data_id, index = _push_and_index(data)
            title = str(data.get("title") or "")[:128]
            articles[(msg_data_id, index, row_day)] = {**counters, "title": title}
        elif "user_source" in data:
            source = _integer(data, "user_source")
            if source not in UserSource.values:
                raise StatsRowError(
                    _("Unknown WeChat reader source %(source)s.") % {"source": source}
                )
            sources[(row_day, source)] = counters
        else:
            raise StatsRowError(_("A WeChat statistics row has neither msgid nor user_source."))
    updated = [*WeChatArticleStat.COUNTERS, "updated_at"]
    links = _push_links({m for m, _i, _d in articles})
    with transaction.atomic():
        WeChatArticleStat.objects.bulk_create(
            [
                WeChatArticleStat(
                    msg_data_id=m, article_index=i, day=d, **links.get((m, i), {}), **values
                )
                for (m, i, d), values in articles.items()
            ],
            update_conflicts=True,
            unique_fields=["msg_data_id", "article_index", "day"],
            update_fields=[*updated, "title", "push", "content_type", "object_id"],
        )
        WeChatReadSource.objects.bulk_create(
            [
                WeChatReadSource(day=d, user_source=s, **values)
                for (d, s), values in sources.items()
            ],
            update_conflicts=True,
            unique_fields=["day", "user_source"],
            update_fields=updated,
        )
    return len(articles) + len(sources)


def _push_links(msg_data_ids: set[str]) -> dict[tuple[str, int], dict]:
    """{(msg_data_id, article index): push, content type and object id} for our pushes."""
    from wechat.models import Push, PushItem

    if not msg_data_ids:
        return {}
    # A msg_data_id is WeChat's and unique there; were two of our rows to carry one, the later
    # push wins, as it is the one that got WeChat's answer last.
    pushes = dict(
        Push.objects.filter(msg_data_id__in=msg_data_ids)
        .order_by("pk")
        .values_list("msg_data_id", "pk")
    )
    by_pk = {pk: msg_data_id for msg_data_id, pk in pushes.items()}
    items = PushItem.objects.filter(push_id__in=by_pk).values_list(
        "push_id", "position", "content_type_id", "object_id"
    )
    links = {}
    for push_id, position, content_type_id, object_id in items:
        links[(by_pk[push_id], position)] = {
            "push_id": push_id,
            "content_type_id": content_type_id,
            "object_id": object_id,
        }
    return links


def wechat_stats_sync(*, day: date, fetch: Callable[[date], Iterable]) -> int:
    """Fetch one day's datacube rows with `fetch(day)` and store them (see wechat_stats_store),
    and note the day as synced.

    Re-running it for the same day replaces that day's numbers, never adds to them. Raises what
    `fetch` raises (wechat.errors when it is `datacube_rows`) and StatsRowError; nothing is
    stored then.
    """
    rows = list(fetch(day))
    with transaction.atomic():
        stored = wechat_stats_store(rows=rows, day=day)
        WeChatSyncedDay.objects.update_or_create(day=day, defaults={"rows": stored})
    return stored


def wechat_stats_catch_up(
    *, today: date, fetch: Callable[[date], Iterable], days: int | None = None
) -> list[date]:
    """Sync each of the `days` days before `today` (default STATS_WECHAT_CATCH_UP_DAYS) that was
    not synced yet, oldest first; returns the days synced.

    WeChat answers for a day only from the next morning, and a worker may have been down: this
    fills the gap, and a second run the same day fetches nothing. Raises what `fetch` raises
    (wechat.errors) and StatsRowError, for the first day that fails; the days before it stay
    stored and the days from it on are tried again by the next run.
    """
    span = settings.STATS_WECHAT_CATCH_UP_DAYS if days is None else days
    wanted = [today - timedelta(days=n) for n in range(span, 0, -1)]
    done = set(WeChatSyncedDay.objects.filter(day__in=wanted).values_list("day", flat=True))
    synced = []
    for day in wanted:
        if day not in done:
            wechat_stats_sync(day=day, fetch=fetch)
            synced.append(day)
    return synced


def datacube_rows(day: date) -> list:
    """The day's per-article summary and reads by source, from WeChat through the gateway.

    Raises wechat.errors (RetryableError when WeChat or the network fails).
    """
    from wechat.gateway import WeChatGateway

    gateway = WeChatGateway()
    return [*gateway.article_summary(day), *gateway.user_read(day, day)]


def _row_day(data: dict, *, default: date) -> date:
    value = data.get("ref_date")
    if not value:
        return default
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise StatsRowError(
            _("Bad date %(value)r in WeChat statistics.") % {"value": value}
        ) from None


def _integer(data: dict, name: str) -> int:
    try:
        value = int(data.get(name) or 0)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise StatsRowError(
            _("Bad number %(value)r for %(name)s in WeChat statistics.")
            % {"value": data.get(name), "name": name}
        )
    return value


def _push_and_index(data: dict) -> tuple[str, int]:
    if data.get("msg_data_id"):
        return str(data["msg_data_id"]), _integer(data, "article_index") or 1
    msgid = str(data["msgid"])
    push, _sep, index = msgid.rpartition("_")
    if not push:
        return msgid, 1
    if not index.isdigit():
        raise StatsRowError(_("Bad msgid %(value)r in WeChat statistics.") % {"value": msgid})
    return push, int(index)
