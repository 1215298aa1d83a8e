"""The follower table: the syncs from WeChat, the subscribe/unsubscribe callbacks and the
follower counts per day.

The full sync streams: one user/get page (≤ 10 000 openids) at a time, user/info/batchget for
AUDIENCE_SYNC_UPSERT_CHUNK openids at a time (100 per call), one bulk upsert per chunk, and the
cursor stored after every page. Memory does not grow with the number of followers.

The incremental sync reads the same openid list (20 calls for 200 000) but asks
user/info/batchget only about openids the table does not hold as followers, or whose details
are older than AUDIENCE_SYNC_REFRESH_DAYS; the callbacks keep the others current. Each page's
openids are stored as one row (FollowerSyncPage) with the cursor, so an interrupted run resumes
from its cursor, and at the end the followers no page held are the departed. Nothing is written
per unchanged follower: the run holds sets of openid strings (about 20 MB for 200 000), never
model instances.
"""

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from wechat.errors import RetryableError, WeChatError
from wechat.gateway import FollowerInfo, WeChatGateway
from wechat.models import CallbackEvent

from ..models import (
    Follower,
    FollowerDailyCount,
    FollowerSyncPage,
    FollowerSyncRun,
    SegmentMember,
    SyncMode,
    SyncStatus,
)

logger = logging.getLogger(__name__)

USERS_INFO_BATCH = 100  # user/info/batchget takes at most 100 openids (CONTRACT.md §7.2)
UPSERT_FIELDS = [
    "unionid",
    "subscribed",
    "subscribe_time",
    "subscribe_scene",
    "remark",
    "language",
    "tag_ids",
    "last_sync_run",
    "synced_at",
]
# WeChat's CreateTime has whole seconds: an event stamped up to a second before we asked for a
# follower's info may still be newer than the answer, so it wins.
EVENT_MARGIN = timedelta(seconds=1)


class _LeaseLost(Exception):
    """Another worker took the run over (ours stalled past the lease)."""


def followers_sync(
    *,
    mode: str = SyncMode.FULL,
    trigger: str = "manual",
    gateway: WeChatGateway | None = None,
) -> FollowerSyncRun | None:
    """Bring the follower table in line with WeChat's follower list.

    `mode` FULL fetches every follower's details; INCREMENTAL only those of followers the table
    does not know (or knows from more than AUDIENCE_SYNC_REFRESH_DAYS ago), and runs as FULL
    while no sync has ever finished. Resumes the unfinished run (in its own mode) from its
    `next_openid` when nobody holds it, or starts a new one.
    Returns the run (FINISHED, or FAILED with `error` when WeChat refused a request: the next
    sync then starts afresh), or None when another worker holds the running sync: this call then
    exits without calling WeChat. Raises RetryableError (TokenError included): the run is
    released with its cursor, and the next call resumes it; ValueError for an unknown `mode`.
    """
    mode = SyncMode(mode)
    gateway = gateway or WeChatGateway()
    owner = uuid.uuid4().hex
    if not FollowerSyncRun.objects.filter(status=SyncStatus.FINISHED).exists():
        mode = SyncMode.FULL  # nothing to be incremental to yet
    run = _run_claim(owner=owner, trigger=trigger, mode=mode)
    if run is None:
        logger.info("A follower sync is already running; this one exits")
        return None
    try:
        if run.mode == SyncMode.INCREMENTAL:
            _pages_sync_incremental(run=run, owner=owner, gateway=gateway)
        else:
            _pages_sync(run=run, owner=owner, gateway=gateway)
        return _run_finish(run=run, owner=owner)
    except _LeaseLost:
        logger.warning("Follower sync %s was taken over by another worker", run.pk)
        return None
    except RetryableError as exc:
        _run_release(run=run, owner=owner, error=str(exc))
        raise
    except WeChatError as exc:
        logger.warning("Follower sync %s failed: %s", run.pk, exc)
        FollowerSyncRun.objects.filter(pk=run.pk, owner=owner).update(
            status=SyncStatus.FAILED,
            owner="",
            finished_at=timezone.now(),
            error=f"{exc.user_message} ({exc})",
        )
        FollowerSyncPage.objects.filter(run_id=run.pk).delete()
        run.refresh_from_db()
        return run
    except BaseException:
        _run_release(run=run, owner=owner, error="interrupted")
        raise


def _run_claim(*, owner: str, trigger: str, mode: str) -> FollowerSyncRun | None:
    now = timezone.now()
    run = FollowerSyncRun.objects.filter(status=SyncStatus.RUNNING).first()
    if run is None:
        try:
            with transaction.atomic():
                return FollowerSyncRun.objects.create(
                    status=SyncStatus.RUNNING,
                    trigger=trigger,
                    mode=mode,
                    owner=owner,
                    heartbeat_at=now,
                )
        except IntegrityError:
            # Another worker created the running run a moment ago: it is that worker's.
            run = FollowerSyncRun.objects.filter(status=SyncStatus.RUNNING).first()
            if run is None:
                return None
    stale = now - settings.AUDIENCE_SYNC_LEASE
    # One conditional UPDATE is the claim: atomic on SQLite and PostgreSQL alike, so two
    # workers racing here get one row changed between them.
    claimed = (
        FollowerSyncRun.objects.filter(pk=run.pk, status=SyncStatus.RUNNING)
        .filter(Q(owner="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
        .update(owner=owner, heartbeat_at=now)
    )
    if not claimed:
        return None
    run.refresh_from_db()
    logger.info("Follower sync %s resumed after %s pages", run.pk, run.pages)
    return run


def _run_release(*, run: FollowerSyncRun, owner: str, error: str) -> None:
    FollowerSyncRun.objects.filter(pk=run.pk, owner=owner).update(owner="", error=error[:2000])


def _pages_sync(*, run: FollowerSyncRun, owner: str, gateway: WeChatGateway) -> None:
    chunk = settings.AUDIENCE_SYNC_UPSERT_CHUNK

    def fetch() -> Iterator[tuple]:
        cursor = run.next_openid or None
        while True:
            page = gateway.followers_page(cursor)
            for start in range(0, len(page.openids), chunk):
                openids = page.openids[start : start + chunk]
                fetched_at = timezone.now()
                yield "infos", fetched_at, len(openids), gateway.users_info(openids)
            yield "page", page
            if page.is_last:
                return
            cursor = page.next_openid

    calls = 0
    cursor = run.next_openid
    # WeChat is asked for the next chunk while this one is written to the database.
    for item in _fetched_ahead(fetch):
        if item[0] == "infos":
            _kind, fetched_at, asked, infos = item
            calls += -(-asked // USERS_INFO_BATCH)
            _followers_upsert(infos, run_id=run.pk, fetched_at=fetched_at)
            continue
        page = item[1]
        calls += 1
        # After the last page, keep its last openid: a resumed run then asks once more, gets
        # the empty end page and finishes, rather than starting over.
        cursor = page.next_openid or (page.openids[-1] if page.openids else cursor or "")
        updated = FollowerSyncRun.objects.filter(
            pk=run.pk, owner=owner, status=SyncStatus.RUNNING
        ).update(
            next_openid=cursor or "",
            heartbeat_at=timezone.now(),
            pages=F("pages") + 1,
            followers_seen=F("followers_seen") + len(page.openids),
            calls=F("calls") + calls,
            total_reported=page.total,
        )
        calls = 0
        if not updated:
            raise _LeaseLost
        if page.is_last:
            return


def _pages_sync_incremental(*, run: FollowerSyncRun, owner: str, gateway: WeChatGateway) -> None:
    def fetch() -> Iterator:
        cursor = run.next_openid or None
        while True:
            page = gateway.followers_page(cursor)
            yield page
            if page.is_last:
                return
            cursor = page.next_openid

    current = _followers_current()
    chunk = settings.AUDIENCE_SYNC_UPSERT_CHUNK
    cursor = run.next_openid
    # The next page is asked for while this one is compared with the table.
    for page in _fetched_ahead(fetch):
        calls, fetched, new = 1, 0, 0
        wanted = [openid for openid in page.openids if openid not in current]
        for start in range(0, len(wanted), chunk):
            openids = wanted[start : start + chunk]
            # Known followers whose details are only old: their callbacks counted them.
            following = set(
                Follower.objects.filter(openid__in=openids, subscribed=True).values_list(
                    "openid", flat=True
                )
            )
            fetched_at = timezone.now()
            infos = gateway.users_info(openids)
            calls += -(-len(openids) // USERS_INFO_BATCH)
            fetched += len(openids)
            with transaction.atomic():
                _followers_upsert(infos, run_id=run.pk, fetched_at=fetched_at)
                new += _newcomers_count(set(openids) - following, fetched_at=fetched_at)
        cursor = page.next_openid or (page.openids[-1] if page.openids else cursor or "")
        with transaction.atomic():
            updated = FollowerSyncRun.objects.filter(
                pk=run.pk, owner=owner, status=SyncStatus.RUNNING
            ).update(
                next_openid=cursor or "",
                heartbeat_at=timezone.now(),
                pages=F("pages") + 1,
                followers_seen=F("followers_seen") + len(page.openids),
                calls=F("calls") + calls,
                details_fetched=F("details_fetched") + fetched,
                found_new=F("found_new") + new,
                total_reported=page.total,
            )
            if not updated:
                raise _LeaseLost
            if page.openids:
                FollowerSyncPage.objects.create(run_id=run.pk, openids=page.openids)
            if new:
                # Their subscribe callbacks never reached us: counted today, as a callback would.
                _daily_count_update(day=timezone.localdate(), new=new)
        if page.is_last:
            return


def _lookup_chunk() -> int:
    # One statement per 10 000 openids on PostgreSQL; SQLite caps a statement's parameters.
    return 10_000 if connection.vendor == "postgresql" else 900


def _followers_current() -> set[str]:
    """The openids of followers whose details need no fetching: following, and fetched less
    than AUDIENCE_SYNC_REFRESH_DAYS ago (strings only: about 20 MB for 200 000)."""
    followers = Follower.objects.filter(subscribed=True, synced_at__isnull=False)
    if days := settings.AUDIENCE_SYNC_REFRESH_DAYS:
        followers = followers.filter(synced_at__gte=timezone.now() - timedelta(days=days))
    return set(followers.values_list("openid", flat=True).iterator(chunk_size=20_000))


def _newcomers_count(openids: set[str], *, fetched_at) -> int:
    """Followers among `openids` (not followers before) that the upsert stored as following,
    leaving out those a subscribe callback counted meanwhile."""
    if not openids:
        return 0
    return (
        Follower.objects.filter(openid__in=openids, subscribed=True)
        .filter(Q(last_event_at__isnull=True) | Q(last_event_at__lt=fetched_at - EVENT_MARGIN))
        .count()
    )


def _departed_openids(run: FollowerSyncRun) -> list[str]:
    """Followers the incremental run's pages did not hold; those with an event since the run
    started are the callbacks' business."""
    listed: set[str] = set()
    pages = FollowerSyncPage.objects.filter(run_id=run.pk).values_list("openids", flat=True)
    for openids in pages.iterator(chunk_size=2):
        listed.update(openids)
    following = (
        Follower.objects.filter(subscribed=True)
        .filter(Q(last_event_at__isnull=True) | Q(last_event_at__lt=run.started_at))
        .values_list("openid", flat=True)
    )
    return [o for o in following.iterator(chunk_size=20_000) if o not in listed]


def _fetched_ahead(produce: Callable[[], Iterator], depth: int = 2) -> Iterator:
    """The items of `produce()`, made by a thread that runs up to `depth` items ahead.

    The thread only calls WeChat (never the database); its exceptions are raised here, and
    it stops once the consumer stops.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in produce():
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed over to the consumer
            put(("error", exc))

    thread = threading.Thread(target=run, name="followers-fetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=settings.WECHAT_TIMEOUT * 2)


def _followers_upsert(infos: Iterable[FollowerInfo], *, run_id: int, fetched_at) -> None:
    now = timezone.now()
    rows = [
        {
            "openid": info.openid,
            "unionid": info.unionid[:64],
            "subscribed": info.subscribed,
            "subscribe_time": _from_timestamp(info.subscribe_time),
            "subscribe_scene": info.subscribe_scene[:64],
            "remark": info.remark[:64],
            "language": info.language[:16],
            "tag_ids": list(info.tag_ids),
            "last_sync_run": run_id,
            "synced_at": now,
        }
        for info in infos
        if info.openid
    ]
    if not rows:
        return
    # A subscribe/unsubscribe callback applied after we asked is newer than this answer: such
    # a follower keeps the state the callback gave it.
    newer_than = fetched_at - EVENT_MARGIN
    if connection.vendor == "postgresql":
        _upsert_postgresql(rows, now=now, newer_than=newer_than)
        return
    with transaction.atomic():
        Follower.objects.bulk_create(
            [Follower(**row) for row in rows],
            batch_size=settings.AUDIENCE_SYNC_UPSERT_CHUNK,
            update_conflicts=True,
            unique_fields=["openid"],
            update_fields=UPSERT_FIELDS,
        )
        raced = Follower.objects.filter(
            openid__in=[r["openid"] for r in rows], last_event_at__gte=newer_than
        )
        if raced.exists():
            raced.filter(unsubscribed_at=F("last_event_at")).update(subscribed=False, tag_ids=[])
            raced.exclude(unsubscribed_at=F("last_event_at")).update(subscribed=True)


def _upsert_postgresql(rows: list[dict], *, now, newer_than) -> None:
    """The same upsert in one statement. bulk_create spends most of its time preparing
    values in Python; execute_values makes the 200 000-follower sync twice as fast."""
    from psycopg2.extras import Json, execute_values

    table = connection.ops.quote_name(Follower._meta.db_table)
    columns = [*UPSERT_FIELDS, "openid", "nickname", "created_at"]
    keep_if_newer = {"subscribed", "tag_ids"}
    updates = ", ".join(
        f"{c} = CASE WHEN {table}.last_event_at >= %(newer)s THEN {table}.{c} ELSE EXCLUDED.{c} END"
        if c in keep_if_newer
        else f"{c} = EXCLUDED.{c}"
        for c in UPSERT_FIELDS
    )
    values = [
        tuple(Json(r[c]) if c == "tag_ids" else r[c] for c in UPSERT_FIELDS)
        + (r["openid"], "", now)
        for r in rows
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        # Not waiting for the WAL flush is safe here: a chunk lost in a crash is fetched again
        # when the run resumes from its last stored page.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # execute_values fills the VALUES list itself; the named %(newer)s goes through mogrify
        # first so the two kinds of placeholder do not meet.
        on_conflict = cursor.cursor.mogrify(updates, {"newer": newer_than}).decode()
        execute_values(
            cursor.cursor,
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s "
            f"ON CONFLICT (openid) DO UPDATE SET {on_conflict.replace('%', '%%')}",
            values,
            page_size=len(values),
        )


def _run_finish(*, run: FollowerSyncRun, owner: str) -> FollowerSyncRun:
    now = timezone.now()
    with transaction.atomic():
        # Followers the whole list no longer holds left without a callback reaching us; those
        # with an event since the run started are the callbacks' business.
        if run.mode == SyncMode.INCREMENTAL:
            marked = 0
            departed = _departed_openids(run)
            step = _lookup_chunk()
            for start in range(0, len(departed), step):
                gone = Follower.objects.filter(openid__in=departed[start : start + step])
                SegmentMember.objects.filter(openid__in=departed[start : start + step]).delete()
                marked += gone.update(subscribed=False, unsubscribed_at=now, tag_ids=[])
            FollowerSyncPage.objects.filter(run_id=run.pk).delete()
        else:
            gone = (
                Follower.objects.filter(subscribed=True)
                .exclude(last_sync_run=run.pk)
                .filter(Q(last_event_at__isnull=True) | Q(last_event_at__lt=run.started_at))
            )
            SegmentMember.objects.filter(openid__in=gone.values("openid")).delete()
            marked = gone.update(subscribed=False, unsubscribed_at=now, tag_ids=[])
        updated = FollowerSyncRun.objects.filter(
            pk=run.pk, owner=owner, status=SyncStatus.RUNNING
        ).update(
            status=SyncStatus.FINISHED,
            owner="",
            finished_at=now,
            marked_unsubscribed=marked,
            error="",
        )
        if not updated:
            raise _LeaseLost
        _daily_count_update(day=timezone.localdate(now), unsubscribed=marked)
    run.refresh_from_db()
    logger.info(
        "Follower sync %s finished: %s followers in %s pages, %s calls",
        run.pk,
        run.followers_seen,
        run.pages,
        run.calls,
    )
    return run


def _from_timestamp(value: int):
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _daily_count_update(*, day, new: int = 0, unsubscribed: int = 0) -> None:
    row, _created = FollowerDailyCount.objects.get_or_create(day=day)
    FollowerDailyCount.objects.filter(pk=row.pk).update(
        new=F("new") + new,
        unsubscribed=F("unsubscribed") + unsubscribed,
        total=Follower.objects.filter(subscribed=True).count(),
    )


def follower_event_apply(*, event_id: int) -> Follower | None:
    """Apply one stored subscribe or unsubscribe callback to the follower table (idempotent).

    An event older than the last one applied to that follower only gets marked processed.
    Returns the follower, or None for an event of another kind. Raises
    CallbackEvent.DoesNotExist for an unknown id.
    """
    event = CallbackEvent.objects.get(pk=event_id)
    if event.event not in (CallbackEvent.SUBSCRIBE, CallbackEvent.UNSUBSCRIBE):
        return None
    openid = str(event.payload.get("openid") or event.from_user)
    at = event.sent_at
    subscribe = event.event == CallbackEvent.SUBSCRIBE
    with transaction.atomic():
        event = CallbackEvent.objects.select_for_update().get(pk=event_id)
        follower, created = Follower.objects.select_for_update().get_or_create(openid=openid)
        if event.processed:
            return follower
        if follower.last_event_at and follower.last_event_at > at:
            event.mark_processed()
            return follower
        was_following = follower.subscribed and not created
        follower.last_event_at = at
        if subscribe:
            follower.subscribed = True
            follower.subscribe_time = at
            follower.unsubscribed_at = None
        else:
            follower.subscribed = False
            follower.unsubscribed_at = at
            follower.tag_ids = []  # WeChat drops a leaver's tags
            SegmentMember.objects.filter(openid=openid).delete()
        follower.save()
        if subscribe and not was_following:
            _daily_count_update(day=timezone.localdate(at), new=1)
        elif not subscribe and (was_following or created):
            _daily_count_update(day=timezone.localdate(at), unsubscribed=1)
        event.mark_processed()
    return follower
