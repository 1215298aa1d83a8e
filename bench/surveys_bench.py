"""Surveys: a burst of 5,000 answers from 100 clients at once, and the results page at 50,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/surveys_bench.py
    .venv/bin/python bench/surveys_bench.py --answers 500 --results 5000   # SQLite, smaller

1. Burst: a published 20-question survey tied to the record (surveys/sample.py) and 5,000
   alumni; a gunicorn of the site (`--workers` x `--threads`, gthread) and 100 client threads,
   each an HTTP session of its own (it reads the page once for its CSRF token, then posts its
   share of the answers as a phone does; all start together). The whole view runs: form
   cleaning, the one-per-record check, the insert of the response and its value rows, the
   record's city, employer and label with their change log. One person in ten submits twice,
   the two submits from different clients. Checks that exactly one response per person is
   stored, with the answers sent, and the value rows add up; prints answers per second and
   p50/p95 of a submit.
2. Results: a second survey with `--results` responses (50,000) seeded in bulk (5,000 of them
   tied to records of two branches and ten class years), VACUUM ANALYZE, then the admin's
   results page (a logged-in staff member, the whole view and template) unfiltered, by class
   years, by branch and by segment: p50 and max of `--repeat` requests and the queries each.
3. Exports: the CSV and the Excel file of all of them, read to the end (seconds, size, and the
   peak of Python's memory under tracemalloc in a second run); `--compare-openpyxl` times the
   same rows through openpyxl's write-only workbook too.

On PostgreSQL it uses a fresh database named after DATABASE_URL's plus `_surveys`. The visitor
is read from a bench-only header (bench/surveys_wsgi.py) instead of a WeChat session.
"""

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def fresh_postgres(url: str, *, keep: bool = False) -> str:
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'alumni_bench'}_surveys"
    if keep:
        return parts._replace(path=f"/{name}").geturl()
    connection = psycopg2.connect(parts._replace(path="/postgres").geturl())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return parts._replace(path=f"/{name}").geturl()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def start_server(workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "bench.surveys_wsgi:application", "--workers", str(workers)]
        + ["--threads", str(threads), "--worker-class", "gthread", "--backlog", "512"]
        + ["--timeout", "300"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket"],
        cwd=ROOT,
        env=dict(os.environ),
    )
    base = f"http://127.0.0.1:{port}"
    for _attempt in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def burst(people: int, clients: int, workers: int, threads: int) -> None:
    import requests

    from alumni.models import Alumnus
    from surveys.models import Answer, Response
    from surveys.sample import as_post, random_answers, sample_survey
    from surveys.services import answer_rows

    survey, questions = sample_survey(title="突发提交测试")
    Alumnus.objects.bulk_create(
        [
            Alumnus(name=f"校友{n}", class_year=2000 + n % 20, phone=f"139{n:08d}", city="杭州")
            for n in range(people)
        ]
    )
    alumni = list(Alumnus.objects.values_list("pk", flat=True))
    rng = random.Random(14)
    answers = {pk: random_answers(questions, rng) for pk in alumni}
    posts = {pk: as_post(questions, a) for pk, a in answers.items()}
    # One person in ten submits twice; both submits go to different clients at the same moment.
    calls = [pk for pk in alumni for _twice in range(2 if pk % 10 == 0 else 1)]
    calls.sort(key=lambda pk: (pk, rng.random()))
    shares = [calls[n::clients] for n in range(clients)]
    server, base = start_server(workers, threads)
    url = f"{base}/surveys/{survey.pk}/"
    barrier = threading.Barrier(clients)

    def client(share):
        session = requests.Session()
        # A connection per request, as phones do: none is left idle for the server to close.
        session.headers["Connection"] = "close"
        page = session.get(url, headers={"X-Bench-Alumnus": str(share[0])}, timeout=60)
        token = CSRF.search(page.text).group(1)
        barrier.wait()
        out = []
        for pk in share:
            started = time.perf_counter()
            response = session.post(
                url,
                data={**posts[pk], "csrfmiddlewaretoken": token},
                headers={"X-Bench-Alumnus": str(pk), "Referer": url},
                allow_redirects=False,
                timeout=60,
            )
            out.append((response.status_code, time.perf_counter() - started))
        return out

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = [r for share in pool.map(client, shares) for r in share]
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    codes = [code for code, _t in results]
    times = [t for _c, t in results]
    stored = dict(Response.objects.filter(survey=survey).values_list("alumnus_id", "answers"))
    by_key = {str(q.pk): q for q in questions}
    expected_rows = sum(
        len(answer_rows(by_key[k], v)) for a in answers.values() for k, v in a.items()
    )
    rows = Answer.objects.filter(survey=survey).count()
    lost = len(set(answers) - set(stored))
    wrong = sum(stored.get(p) != a for p, a in answers.items() if p in stored)
    refused = codes.count(409) + codes.count(200)
    other = len(codes) - codes.count(302) - refused
    print(
        f"burst: {len(calls)} submits ({len(calls) - people} second submits) from {clients} "
        f"clients to gunicorn ({workers} workers x {threads} threads) in {wall:.1f} s = "
        f"{len(calls) / wall:.0f}/s; p50 {percentile(times, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(times, 0.95) * 1000:.0f} ms per submit"
    )
    print(
        f"       {len(stored)} responses stored for {people} people (lost {lost}, wrong {wrong}), "
        f"{rows} value rows (expected {expected_rows}); accepted {codes.count(302)}, refused "
        f"as already answered {refused}, other {other}"
    )
    assert lost == 0 and wrong == 0 and len(stored) == people and rows == expected_rows


def results(total: int, repeat: int, *, export: bool, compare: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from alumni.models import Alumnus, Branch
    from audience.models import Segment
    from surveys.models import Answer
    from surveys.sample import random_answers, sample_survey, seed_responses

    survey, questions = sample_survey(title="五万份答卷")
    branches = [Branch.objects.create(name=f"分会{n}", city="上海") for n in range(2)]
    tied = min(5000, total)
    Alumnus.objects.bulk_create(
        [
            Alumnus(
                name=f"答卷人{n}",
                class_year=2010 + n % 10,
                college="法学院" if n % 3 == 0 else "计算机学院",
                branch=branches[n % 2],
                phone=f"137{n:08d}",
            )
            for n in range(tied)
        ]
    )
    people = list(Alumnus.objects.filter(name__startswith="答卷人").values_list("pk", flat=True))
    rng = random.Random(50)
    started = time.perf_counter()
    seeded = seed_responses(
        survey,
        questions,
        [(people[n] if n < tied else None, random_answers(questions, rng)) for n in range(total)],
    )
    seeding = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE surveys_answer")
            cursor.execute("VACUUM ANALYZE surveys_response")
    rows = Answer.objects.filter(survey=survey).count()
    print(f"results: {seeded} responses, {rows} value rows seeded in {seeding:.1f} s")
    segment = Segment.objects.create(name="法学院校友", college="法学院")
    staff = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
    client = Client()
    client.force_login(staff)
    url = f"/admin/surveys/survey/{survey.pk}/results/"
    for name, query in [
        ("all", ""),
        ("class years", "?class_year_from=2012&class_year_to=2015"),
        ("branch", f"?branch={branches[0].pk}"),
        ("segment", f"?segment={segment.pk}"),
    ]:
        client.get(url + query)
        times = []
        for _n in range(repeat):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url + query)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        p50, worst = statistics.median(times) * 1000, max(times) * 1000
        print(f"  {name:12} p50 {p50:6.0f} ms  max {worst:6.0f} ms  {len(queries)} queries")
    if export:
        exports(client, survey, compare=compare)


def exports_again(*, compare: bool) -> None:
    """The exports alone, of the 50,000 answers an earlier run left in its database."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from surveys.models import Survey

    survey = Survey.objects.filter(title="五万份答卷").latest("pk")
    staff = get_user_model().objects.get(username="bench")
    client = Client()
    client.force_login(staff)
    print(f"exports of {survey.responses.count()} responses")
    exports(client, survey, compare=compare)


def exports(client, survey, *, compare: bool) -> None:
    """The admin's CSV and Excel exports of every answer, read to the end as a browser does:
    seconds (and this process's CPU seconds, which other load on the machine changes less),
    size, and the Python memory's peak in a second run under tracemalloc."""
    import io
    import tracemalloc

    from django.contrib.admin import site
    from django.test import RequestFactory

    from surveys.models import Survey

    for kind in ("csv", "xlsx"):
        url = f"/admin/surveys/survey/{survey.pk}/results/export.{kind}"
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        tracemalloc.start()
        for _chunk in client.get(url).streaming_content:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  export {kind:4} {took:6.1f} s ({cpu:5.1f} s CPU)  {size / 1e6:5.1f} MB  "
            f"Python memory peak {peak / 1e6:5.1f} MB"
        )
    if compare:
        # The same rows through openpyxl's write-only workbook (the export until 2026-12-02).
        from openpyxl import Workbook

        from core.spreadsheet import escape_formula

        admin = site._registry[Survey]
        request = RequestFactory().get("/")
        started, cpu = time.perf_counter(), time.process_time()
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=str(survey.pk))
        for row in admin._rows(request, survey, numbers=True):
            sheet.append([escape_formula(cell) for cell in row])
        out = io.BytesIO()
        book.save(out)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = len(out.getvalue()) / 1e6
        print(f"  openpyxl write-only, same rows: {took:6.1f} s ({cpu:5.1f} s CPU)  {size:5.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000, help="people in the burst (0: skip)")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients")
    parser.add_argument("--results", type=int, default=50000, help="responses for the results")
    parser.add_argument("--repeat", type=int, default=5, help="requests per results page")
    parser.add_argument(
        "--no-export", dest="export", action="store_false", help="skip the CSV and Excel exports"
    )
    parser.add_argument(
        "--exports-only",
        action="store_true",
        help="only the exports, in the database an earlier PostgreSQL run left",
    )
    parser.add_argument(
        "--compare-openpyxl", action="store_true", help="time openpyxl write-only on the rows too"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alumni_cms.settings")
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="surveys-bench-")
    os.environ.setdefault("SECRET_KEY", "surveys-bench-only")
    os.environ.setdefault("CACHE_URL", "locmemcache://")
    if args.exports_only and not os.environ.get("DATABASE_URL"):
        raise SystemExit("--exports-only reads the PostgreSQL database of an earlier run")
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = fresh_postgres(
            os.environ["DATABASE_URL"], keep=args.exports_only
        )

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.exports_only:
        exports_again(compare=args.compare_openpyxl)
        return
    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}")
    if args.answers:
        burst(args.answers, args.clients, args.workers, args.threads)
    results(args.results, args.repeat, export=args.export, compare=args.compare_openpyxl)


if __name__ == "__main__":
    main()
