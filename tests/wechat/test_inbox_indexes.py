"""The inbox reads by time through indexes, not by reading the whole table: retention's batch
query over InboxMessage (received_at) and the answer window's look-up of a follower's latest
message. On PostgreSQL with 20,000 messages, of which 1% are old; the plan of the query as
Django ran it has no sequential scan of the table. (CallbackEvent.received_at, retention's
other time column, has had its index since the table was made.)"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alumni_cms import retention
from wechat import inbox
from wechat.models import InboxMessage

pytestmark = pytest.mark.django_db
ROWS, OLD, FOLLOWERS = 20_000, 200, 2_000


def _moment(n: int):
    now = timezone.now()
    return now - timedelta(days=400 + n) if n < OLD else now - timedelta(seconds=n + 1)


@pytest.fixture
def full_inbox(postgres_only):
    InboxMessage.objects.bulk_create(
        (
            InboxMessage(
                openid=f"oIDX{n % FOLLOWERS:024d}",
                direction="in" if n % 3 else "out",
                msg_type="text",
                msg_id=f"idx{n}",
                content="你好",
                sent_at=_moment(n),
                received_at=_moment(n),
            )
            for n in range(ROWS)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "wechat_inboxmessage"')


def plans(captured, table: str, marker: str = "") -> list[str]:
    """The plans of the SELECTs on `table` (containing `marker`) among the captured queries,
    re-run as EXPLAIN."""
    found = []
    for query in captured:
        sql = query["sql"]
        if sql.startswith("SELECT") and f'FROM "{table}"' in sql and marker in sql:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                found.append("\n".join(row[0] for row in cursor.fetchall()))
    assert found, f"no SELECT on {table}"
    return found


def test_inbox_retention_finds_old_messages_through_an_index(full_inbox, settings):
    settings.RETENTION_INBOX_DAYS = 365
    with CaptureQueriesContext(connection) as queries:
        assert retention.inbox_messages_prune() == OLD
    batches = plans(queries.captured_queries, "wechat_inboxmessage", '"received_at" <')
    for plan in batches:
        assert "Seq Scan on wechat_inboxmessage" not in plan, plan
        assert "wechat_inbox_received_at" in plan, plan


def test_the_answer_window_reads_the_followers_latest_message_through_an_index(full_inbox):
    with CaptureQueriesContext(connection) as queries:
        assert inbox.window_closes_at(f"oIDX{7:024d}") is not None
        assert inbox.answers_left(f"oIDX{7:024d}") == inbox.CUSTOM_ANSWERS_PER_MESSAGE
    for plan in plans(queries.captured_queries, "wechat_inboxmessage"):
        assert "Seq Scan on wechat_inboxmessage" not in plan, plan
        assert "Index" in plan, plan
