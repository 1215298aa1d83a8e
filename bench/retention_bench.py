"""Benchmark: the nightly retention over 100,000 rows a table, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alumni_cms \\
        .venv/bin/python bench/retention_bench.py [--rows 100000] [--old 1000] [--step NAME]

For each retention step (the WeChat inbox's aside), creates a throw-away database beside
DATABASE_URL's (<name>_retention_bench, migrated, dropped at the end), fills the step's tables
with `--rows` rows of which `--old` are past the setting (tests/ops/retention_rows.py), runs
ANALYZE, prints the plan of the step's first batch query (EXPLAIN ANALYZE) and times the step.
`--old 1000` is a nightly run on a table holding ~100 days; a large `--old` is the first run on
a database that grew for years. Not part of the test suite.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alumni_cms.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in each table")
    parser.add_argument("--old", type=int, default=1_000, help="of which past the setting")
    parser.add_argument("--step", action="append", help="only this step (repeatable)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (the target is PostgreSQL)")

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alumni_cms import retention
    from tests.ops.retention_rows import BUILDERS, batch_query, retention_fill

    settings.WECHAT_EMULATOR = False  # no emulator log step
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"{old_name}_retention_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        for step in args.step or sorted(BUILDERS):
            started = time.perf_counter()
            tables = retention_fill(step, rows=args.rows, old=args.old)
            filled = time.perf_counter() - started
            with connection.cursor() as cursor:
                for table, _marker in tables:
                    cursor.execute(f'VACUUM ANALYZE "{table}"')
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                deleted = retention.STEPS[step]()
                elapsed = time.perf_counter() - started
            slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
            selects = sum(1 for q in queries.captured_queries if q["sql"].startswith("SELECT"))
            print(
                f"\n== {step}: {args.rows:,} rows a table in {len(tables)} table(s), "
                f"deleted {deleted:,} in {elapsed:.2f} s "
                f"({len(queries.captured_queries)} queries, {selects} SELECTs; "
                f"filled in {filled:.1f} s; slowest query {float(slowest['time']):.2f} s: "
                f"{slowest['sql'][:160]})"
            )
            for table, marker in tables:
                sql = batch_query(queries.captured_queries, table=table, marker=marker)
                with connection.cursor() as cursor:
                    # The rows are gone now: the plan is the one the first batch got (same
                    # statistics), timed on what is left.
                    cursor.execute(f"EXPLAIN ANALYZE {sql}")
                    plan = [row[0] for row in cursor.fetchall()]
                print(f"  {table}:")
                for line in plan:
                    if not line.lstrip().startswith(("Planning", "Execution", "Filter", "Rows")):
                        print(f"    {line}")
            for table, _marker in tables:
                with connection.cursor() as cursor:
                    cursor.execute(f'TRUNCATE "{table}" CASCADE')
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
