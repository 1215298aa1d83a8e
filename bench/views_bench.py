#!/usr/bin/env python3
"""Load the public news pages with wrk against bare Django views, for issue 11's targets.

    .venv/bin/python bench/views_bench.py                          # this tree, SQLite
    git worktree add /tmp/before <commit>
    .venv/bin/python bench/views_bench.py --before /tmp/before     # both trees, one run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/views_bench.py

For each tree (this one, and `--before`'s if given) it seeds its own database (a temporary
SQLite file, or on PostgreSQL a fresh database named after DATABASE_URL's plus the tree's
label) and starts two gunicorns (2 sync workers, DEBUG off, this venv): "plain" (page cache
and view counting off) and "burst" (both on, the cache and the view counts on Redis when it
answers). Then, round after round, page after page, tree after tree (so a machine getting
busier slows all alike), wrk measures:

- uncached (8 connections): the article detail and the 20-item news list of each tree, and
  the bare views of bench/bare_views.py (one row by pk; 20 rows) served by this tree;
- burst (64 connections, each request a new visitor, so each one is a counted view): the
  cached article detail of each tree, and a bare view returning a fixed string of the same
  size (bench/bare_views.py).

Prints the best requests/second of the rounds with p99 latency and errors, the ratios the issue
sets targets for, and per tree the views counted against the burst responses wrk got.
Loopback only; nothing here is part of the test suite (bench/README.md has the figures).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LUA = Path(__file__).resolve().parent / "wrk_visitors.lua"
TARGETS = {"burst": 0.8, "detail": 0.45, "list": 0.45}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def django(env: dict, *args: str, root: Path = ROOT) -> str:
    result = subprocess.run([str(PYTHON), *args], cwd=root, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(args)[:80]} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wrk(url: str, connections: int, args, run: int) -> dict:
    """One wrk run; `run` numbers it, so its visitors differ from every other run's."""
    output = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{connections}", f"-d{args.duration}s"]
        + ["--timeout", "5s", "--latency", "-s", str(LUA), url, "--", str(run)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    rps, p99, requests, bad_status, socket_errors = line.split()[1:]
    return {
        "rps": float(rps),
        "p99": float(p99),
        "requests": int(requests),
        "errors": int(bad_status) + int(socket_errors),
    }


def start_server(env: dict, root: Path, *, burst: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "alumni_cms.wsgi:application", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket"],
        cwd=root,
        env={
            **env,
            "STATS_COUNT_VIEWS": "true" if burst else "false",
            "STATS_PAGE_CACHE_SECONDS": "600" if burst else "0",
        },
    )
    return server, f"http://127.0.0.1:{port}"


def bench_env(data_dir: str, root: Path = ROOT, label: str = "after") -> dict:
    """The environment of every process of one tree's bench: its own data and database,
    Redis (a key prefix of its own) when it answers."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATA_DIR": data_dir,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATS_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
        "BENCH_KEY_PREFIX": "bench-" + uuid.uuid4().hex[:8],
        "PYTHONPATH": str(root),
    }
    if "CACHE_URL" not in os.environ and redis_up():
        env["CACHE_URL"] = "redis://127.0.0.1:6379/3"
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = fresh_postgres(os.environ["DATABASE_URL"], label)
    return env


def fresh_postgres(url: str, label: str) -> str:
    """A new, empty database beside DATABASE_URL's, named after it and `label`."""
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'alumni_bench'}_{label}"
    admin = parts._replace(path="/postgres").geturl()
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return parts._replace(path=f"/{name}").geturl()


def seeded(env: dict, articles: int, root: Path = ROOT) -> tuple[int, int]:
    """Migrate and seed a tree's bench database: (an article's pk, items per news list page)."""
    django(env, "manage.py", "migrate", "-v0", "--skip-checks", root=root)
    article_pk = int(django(env, "-m", "bench.seed", "--articles", str(articles), root=root))
    per_page = django(
        env,
        "-c",
        "import django; django.setup();"
        "from articles.views import NEWS_PER_PAGE; print(NEWS_PER_PAGE)",
        root=root,
    )
    return article_pk, int(per_page)


def counted_views(env: dict, root: Path, article_pk: int) -> int:
    code = (
        "import django; django.setup();"
        "from stats.services import views_flush; views_flush();"
        "from django.db.models import Sum; from stats.models import DailyViews;"
        f"print(DailyViews.objects.filter(object_id={article_pk}, "
        "content_type__model='article').aggregate(v=Sum('views'))['v'] or 0)"
    )
    return int(django(env, "-c", code, root=root))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure side by side")
    parser.add_argument(
        "--after", type=Path, default=ROOT, help="the checkout to measure (default: this one)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (max 60)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="best of N runs per page")
    args = parser.parse_args()
    args.duration = min(args.duration, 60)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    trees = {"after": args.after.resolve()}
    if args.before:
        trees["before"] = args.before.resolve()
    dirs, envs, pks, servers = {}, {}, {}, {}
    try:
        for label, root in trees.items():
            dirs[label] = tempfile.mkdtemp(prefix=f"alumni-bench-{label}-")
            envs[label] = bench_env(dirs[label], root, label)
            pks[label], per_page = seeded(envs[label], args.articles, root)
            for kind in ("plain", "burst"):
                servers[label, kind] = start_server(envs[label], root, burst=kind == "burst")
        env = envs["after"]
        print(
            f"database: {env.get('DATABASE_URL', 'SQLite')}; cache: "
            f"{env.get('CACHE_URL', 'file cache')}; {args.articles} articles; "
            f"wrk -t{args.threads} -d{args.duration}s, best of {args.rounds}; gunicorn -w 2\n"
        )
        # (name, tree, server kind, path, connections)
        pages = []
        for label in trees:
            pages += [
                (f"detail {label}", label, "plain", f"/news/{pks[label]}/", 8),
                (f"list {label}", label, "plain", "/news/", 8),
                (f"cached detail {label}", label, "burst", f"/news/{pks[label]}/", 64),
            ]
        size = len(urllib.request.urlopen(servers["after", "burst"][1] + pages[0][3]).read())
        pages += [
            ("bare detail (1 row)", "after", "plain", f"/bench/bare/{pks['after']}/", 8),
            (f"bare list ({per_page} rows)", "after", "plain", "/bench/bare/", 8),
            (f"bare fixed {size} bytes", "after", "burst", f"/bench/fixed/{size}/", 64),
        ]
        for _name, label, kind, path, _c in pages:
            base = servers[label, kind][1]
            wait_for(base + path)
            for _warm in range(20):  # templates compiled, connections open in both workers
                urllib.request.urlopen(base + path, timeout=10).read()
        served = dict.fromkeys(trees, 0)
        best: dict = {}
        run = 0
        for _round in range(args.rounds):
            for name, label, kind, path, connections in pages:
                run += 1
                result = wrk(servers[label, kind][1] + path, connections, args, run)
                if name.startswith("cached"):
                    served[label] += result["requests"]
                if name not in best or result["rps"] > best[name]["rps"]:
                    best[name] = result
    finally:
        for server, _base in servers.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    counted = {label: counted_views(envs[label], root, pks[label]) for label, root in trees.items()}
    for directory in dirs.values():
        shutil.rmtree(directory, ignore_errors=True)

    print(f"{'page':<26} {'conns':>5} {'req/s':>9} {'p99 ms':>8} {'errors':>7}")
    for name, _label, _kind, _path, connections in pages:
        r = best[name]
        print(f"{name:<26} {connections:>5} {r['rps']:>9.1f} {r['p99']:>8.2f} {r['errors']:>7}")
    print()
    bare = {
        "detail": best[pages[-3][0]]["rps"],
        "list": best[pages[-2][0]]["rps"],
        "burst": best[pages[-1][0]]["rps"],
    }
    for label in trees:
        for kind, page in (("burst", "cached detail"), ("detail", "detail"), ("list", "list")):
            ratio = best[f"{page} {label}"]["rps"] / bare[kind]
            target = TARGETS[kind]
            verdict = "met" if ratio >= target else f"MISSED by {target - ratio:.2f}"
            print(f"{label:<7} {page + ' / bare':<22} {ratio:>5.2f}  target ≥ {target}  {verdict}")
    print()
    for label in trees:
        # wrk leaves up to one request per connection unanswered when it stops: served, counted,
        # but not in its summary.
        extra = counted[label] - served[label]
        print(
            f"{label}: views of the cached detail counted {counted[label]}, wrk got "
            f"{served[label]} responses, each from a new visitor (warm-ups are robots'): "
            + ("all counted" if 0 <= extra <= 64 * args.rounds else f"{extra:+d}: WRONG")
            + f" ({extra:+d}: requests in flight when wrk stopped)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
