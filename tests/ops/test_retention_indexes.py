"""Each retention step finds its old rows through an index, not by reading the whole table: on
PostgreSQL, with 20,000 rows of which 1% are old, the plan of the step's batch query (the one
that picks the next RETENTION_BATCH_SIZE ids) has no sequential scan of the table. Figures at
100,000 rows: bench/retention_bench.py, bench/README.md. The WeChat inbox is checked elsewhere.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alumni_cms import retention
from tests.ops.retention_rows import BUILDERS, batch_query, retention_fill

pytestmark = pytest.mark.django_db
ROWS, OLD = 20_000, 200


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("step", sorted(BUILDERS))
def test_a_retention_step_finds_its_old_rows_through_an_index(step):
    if connection.vendor != "postgresql":
        pytest.skip("the plans are PostgreSQL's (CI's PostgreSQL round runs this)")
    tables = retention_fill(step, rows=ROWS, old=OLD)
    with connection.cursor() as cursor:
        for table, _marker in tables:
            cursor.execute(f'ANALYZE "{table}"')
    with CaptureQueriesContext(connection) as queries:
        deleted = retention.STEPS[step]()
    assert deleted == OLD * len(tables)
    for table, marker in tables:
        plan = plan_of(batch_query(queries.captured_queries, table=table, marker=marker))
        assert f"Seq Scan on {table}" not in plan, plan
        assert "Index" in plan, plan
