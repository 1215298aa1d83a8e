"""Rows for the retention steps at volume, for tests/ops/test_retention_indexes.py and
bench/retention_bench.py: `retention_fill(step, rows=, old=)` bulk-creates `rows` rows in each
table the step deletes from, `old` of them past its setting (with the default settings), and
returns those tables with the SQL fragment that marks the step's batch query on each.

The WeChat inbox is left out: its retention is another piece of work.
"""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from alumni_cms.models import Problem, ProblemKind
from articles.models import Article
from audience.models import FollowerSyncRun, SyncStatus
from editorial.models import Revision, State
from stats.models import FlushBatch
from wechat.models import CallbackEvent

CHUNK = 5000


def _times(rows: int, old: int):
    now = timezone.now()
    for n in range(rows):
        # Old rows first, as a table that grew for years has them: by insertion order.
        yield n, (now - timedelta(days=400 + n) if n < old else now - timedelta(seconds=n + 1))


def _callback_events(rows, old):
    return CallbackEvent, [
        CallbackEvent(
            dedup_key=f"bench-{n}",
            msg_type="event",
            event="subscribe",
            from_user=f"o{n:08d}",
            to_user="gh_bench",
            sent_at=at,
            received_at=at,
        )
        for n, at in _times(rows, old)
    ]


def _follower_syncs(rows, old):
    return FollowerSyncRun, [
        FollowerSyncRun(
            status=SyncStatus.FINISHED, trigger="nightly", started_at=at, finished_at=at
        )
        for n, at in _times(rows, old)
    ]


def _stats_batches(rows, old):
    return FlushBatch, [
        FlushBatch(token=f"bench-{n}", flushed_at=at) for n, at in _times(rows, old)
    ]


def _problems(rows, old):
    return Problem, [
        Problem(
            key=f"bench:{n}",
            kind=ProblemKind.PUSH_FAILED,
            summary="bench",
            found_at=at,
            mailed_at=at,
        )
        for n, at in _times(rows, old)
    ]


def _access(model):
    def build(rows, old):
        extra = {"get_data": "", "post_data": "", "failures_since_start": 1}
        fields = extra if model is AccessAttempt else {}
        return model, [
            model(
                user_agent="bench",
                ip_address="192.0.2.1",
                username=f"{'old' if n < old else 'new'}-{n}",
                http_accept="*/*",
                path_info="/admin/login/",
                **fields,
            )
            for n, _at in _times(rows, old)
        ]

    return build


def _revisions(rows, old):
    """One item with the limit plus `old` revisions; the rest in items of ten."""
    from django.conf import settings

    content_type = ContentType.objects.get_for_model(Article)
    keep = settings.RETENTION_REVISIONS_PER_ITEM
    now = timezone.now()
    objs = []
    for n in range(rows):
        first_item = n < keep + old
        objs.append(
            Revision(
                content_type=content_type,
                object_id=0 if first_item else 1 + n // 10,
                data={},
                state=State.DRAFT,
                created_at=now - timedelta(minutes=n),
            )
        )
    return Revision, objs


BUILDERS = {
    "callback_events": [(_callback_events, '"received_at" <')],
    "follower_syncs": [(_follower_syncs, '"started_at" <')],
    "stats_batches": [(_stats_batches, '"flushed_at" <')],
    "login_records": [
        (_access(AccessAttempt), '"attempt_time" <'),
        (_access(AccessFailureLog), '"attempt_time" <'),
        (_access(AccessLog), '"attempt_time" <'),
    ],
    "problems": [(_problems, '"found_at" <')],
    "revisions": [(_revisions, '"object_id" = ')],
}


def retention_fill(step: str, *, rows: int, old: int) -> list[tuple[str, str]]:
    """Fill the tables of a retention step; [(table, marker of its batch query)]."""
    tables = []
    for build, marker in BUILDERS[step]:
        model, objs = build(rows, old)
        for start in range(0, len(objs), CHUNK):
            model.objects.bulk_create(objs[start : start + CHUNK])
        if model in (AccessAttempt, AccessFailureLog, AccessLog):
            # attempt_time is auto_now_add: bulk_create stamps now; age the old ones after.
            model.objects.filter(username__startswith="old-").update(
                attempt_time=timezone.now() - timedelta(days=400)
            )
        tables.append((model._meta.db_table, marker))
    return tables


def batch_query(captured: list[dict], *, table: str, marker: str) -> str:
    """The first batch query (`SELECT … FROM <table> WHERE … LIMIT n`) a step ran."""
    return next(
        query["sql"]
        for query in captured
        if query["sql"].startswith("SELECT")
        and f'FROM "{table}"' in query["sql"]
        and marker in query["sql"]
        and "LIMIT" in query["sql"]
    )
