"""Benchmark: a full follower sync of 200 000 emulated followers into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alumni_cms \\
        .venv/bin/python bench/followers_bench.py [--followers 200000] [--twice] [--tracemalloc]
        [--incremental [--new 300] [--left 200]]

`--incremental`: after the full sync, `--new` followers follow and `--left` unfollow in the
emulator without a callback reaching us, then an incremental sync runs (issue 16: < 10 s).

Starts the WeChat emulator in a child process (so its memory is not counted), creates a
throw-away database beside DATABASE_URL's (<name>_followers_bench, migrated, dropped at the
end), runs `audience.services.followers_sync` and prints the time, the WeChat calls the
emulator counted and the peak memory of this process. Targets (issue 5): under 60 s and a
peak memory under 300 MB. Not part of the test suite.
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alumni_cms.settings")

EMULATOR = """
import sys
from wechat_emulator import EmulatorConfig, EmulatorServer
config = EmulatorConfig(app_id="wx-bench", app_secret="bench-secret",
                        follower_count=int(sys.argv[2]), page_size=10_000)
EmulatorServer(port=int(sys.argv[1]), config=config).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator(followers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-c", EMULATOR, str(port), str(followers)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return child, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit("the emulator did not start")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=200_000)
    parser.add_argument("--twice", action="store_true", help="sync again (all updates)")
    parser.add_argument(
        "--incremental", action="store_true", help="then changes and an incremental sync"
    )
    parser.add_argument("--new", type=int, default=300, help="followers who follow meanwhile")
    parser.add_argument("--left", type=int, default=200, help="followers who leave meanwhile")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (the target is PostgreSQL)")

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    from audience.models import Follower, SyncMode
    from audience.services import followers_sync
    from wechat_emulator import EmulatorClient, openid_for

    child, url = start_emulator(args.followers)
    settings.WECHAT_API_BASE_URL = url
    settings.WECHAT_APP_ID = "wx-bench"
    settings.WECHAT_APP_SECRET = "bench-secret"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    # A name of its own: test_<name> may be in use by a test run at the same time.
    connection.settings_dict["TEST"]["NAME"] = f"{old_name}_followers_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        rounds = [SyncMode.FULL] * (2 if args.twice else 1)
        if args.incremental:
            rounds.append(SyncMode.INCREMENTAL)
        for number, mode in enumerate(rounds, start=1):
            if mode == SyncMode.INCREMENTAL:
                emulator = EmulatorClient(url)
                for _ in range(args.new):
                    emulator.subscribe()
                step = max(1, args.followers // max(1, args.left))
                for index in range(0, step * args.left, step):
                    emulator.unsubscribe(openid_for(index))
            if args.tracemalloc:
                tracemalloc.start()
            before = EmulatorClient(url).state()["counters"]
            started = time.perf_counter()
            run = followers_sync(trigger="bench", mode=mode)
            elapsed = time.perf_counter() - started
            after = EmulatorClient(url).state()["counters"]
            calls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            following = Follower.objects.filter(subscribed=True).count()
            print(
                f"sync {number} ({run.mode}): {run.status}, {Follower.objects.count()} followers "
                f"stored, {following} following"
            )
            target = "< 10 s" if mode == SyncMode.INCREMENTAL else "< 60 s"
            print(f"  time          {elapsed:8.1f} s   (target {target})")
            if mode == SyncMode.INCREMENTAL:
                print(
                    f"  changes       {run.found_new:8d} new, {run.marked_unsubscribed} marked "
                    f"unfollowed, details fetched for {run.details_fetched}"
                )
            print(
                "  WeChat calls  "
                f"{sum(calls.values()):8d}     (user/get {calls.get('cgi-bin/user/get', 0)}, "
                f"user/info/batchget {calls.get('cgi-bin/user/info/batchget', 0)}, "
                f"token {calls.get('cgi-bin/stable_token', 0)})"
            )
            print(f"  peak RSS      {peak_rss_mb():8.1f} MB  (whole process; target < 300 MB)")
            if args.tracemalloc:
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                print(f"  peak Python   {peak:8.1f} MB  (tracemalloc, during the sync)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        child.terminate()
        child.wait(timeout=10)


if __name__ == "__main__":
    main()
