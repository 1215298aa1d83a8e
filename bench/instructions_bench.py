#!/usr/bin/env python3
"""What each public news page and counting a view cost, in CPU instructions (callgrind).

    .venv/bin/python bench/instructions_bench.py                # ~5 min on 2 cores
    .venv/bin/python bench/instructions_bench.py --requests 100

On a shared machine requests/second and CPU time swing by 10–20% from run to run, more than
the 5% the counting target allows. The number of instructions a request executes does not
depend on other load: valgrind's callgrind counts them, the same on every run. Each page is
served through Django's test client (the whole middleware stack, no HTTP) in a process under
callgrind, twice: with `--requests` and with 5 × that many requests; the difference divided
by the extra requests is one request's instructions, without start-up and warm-up.

Same database and settings as bench/views_bench.py (a seeded SQLite file, Redis for the view
counts when it answers, DEBUG off, page cache off). "article detail, counted" serves the
detail page with STATS_COUNT_VIEWS on and a new visitor each request (every view counted,
the worst case).

Instructions are not seconds (a cache miss or a system call costs more than an add), so these
ratios check the wrk figures rather than replace them: the work a page does, without the noise.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from views_bench import PYTHON, ROOT, bench_env, seeded

SERVE = """
import itertools, sys, django
django.setup()
from django.conf import settings
from django.test import Client
path, requests, counting = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "on"
settings.STATS_COUNT_VIEWS = counting
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 MicroMessenger/8.0.47"
client = Client(HTTP_HOST="127.0.0.1", HTTP_USER_AGENT=UA)
visitors = itertools.count()
def serve(n):
    for _ in range(n):
        v = next(visitors)
        ip = f"10.{v // 65536 % 256}.{v // 256 % 256}.{v % 256}"
        response = client.get(path, HTTP_X_FORWARDED_FOR=ip)
        assert response.status_code == 200, response.status_code
serve(20)  # warm-up: templates compiled, queries prepared, connections open, salt read
serve(requests)
"""


def instructions(env: dict, path: str, requests: int, counting: str) -> int:
    """Instructions callgrind counted for a whole process serving `path` `requests` times."""
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            str(PYTHON),
            "-c",
            SERVE,
            path,
            str(requests),
            counting,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or not found:
        sys.exit(f"{path} under callgrind failed:\n{result.stderr[-3000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="the smaller run's requests")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2, help="processes under callgrind at once")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is missing: apt-get install valgrind")

    data_dir = tempfile.mkdtemp(prefix="alumni-bench-")
    # Uncached pages; a fixed hash seed, so that dict layouts and so the counts repeat exactly.
    env = {**bench_env(data_dir), "STATS_PAGE_CACHE_SECONDS": "0", "PYTHONHASHSEED": "0"}
    try:
        article_pk, per_page = seeded(env, args.articles)
        pages = {
            "article detail": (f"/news/{article_pk}/", "off"),
            "article detail, counted": (f"/news/{article_pk}/", "on"),
            "bare detail (1 row)": (f"/bench/bare/{article_pk}/", "off"),
            f"news list ({per_page} items)": ("/news/", "off"),
            f"bare list ({per_page} rows)": ("/bench/bare/", "off"),
        }
        small, large = args.requests, 5 * args.requests
        runs = [(name, n) for name in pages for n in (small, large)]

        def measure(run: tuple[str, int]) -> int:
            name, requests = run
            path, counting = pages[name]
            return instructions(env, path, requests, counting)

        with ThreadPoolExecutor(args.jobs) as pool:
            totals = dict(zip(runs, pool.map(measure, runs), strict=True))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    extra = large - small
    per_request = {name: (totals[name, large] - totals[name, small]) / extra for name in pages}
    print(f"cache: {env.get('CACHE_URL', 'file cache')}; {small} and {large} requests per page\n")
    print(f"{'page':<28} {'instructions/request':>22}")
    for name, count in per_request.items():
        print(f"{name:<28} {count:>22,.0f}")
    names = list(pages)
    cost = per_request[names[1]] / per_request[names[0]] - 1
    detail = per_request[names[2]] / per_request[names[0]]
    listed = per_request[names[4]] / per_request[names[3]]
    print()
    for label, value, ok, target in (
        ("counting cost on the detail page", f"{cost:.1%}", cost < 0.05, "< 5%"),
        ("detail / bare detail (throughput)", f"{detail:.2f}", detail >= 0.7, "≥ 0.70"),
        ("list / bare list (throughput)", f"{listed:.2f}", listed >= 0.7, "≥ 0.70"),
    ):
        print(f"{label:<36} {value:>8}  target {target:<7} {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
