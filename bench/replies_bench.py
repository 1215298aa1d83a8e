"""Keyword replies under load, and a flood of follower messages, against a running gunicorn.

    .venv/bin/python -m bench.replies_bench [--clients 200] [--per-client 10]
        [--flood 10000] [--flood-clients 40] [--workers 4] [--threads 2] [--max-requests N]

Runs gunicorn (deploy/gunicorn.conf.py, DEBUG off) on a throw-away SQLite database under
/dev/shm, or on a fresh PostgreSQL database when DATABASE_URL is set (its name + "_replies");
the cache is Redis on 127.0.0.1:6379 db 4 when it answers (CACHE_URL overrides), else a file
cache. It seeds 30 keyword rules and a default reply, then:

1. `--clients` concurrent clients each post `--per-client` signed text callbacks that a keyword
   rule answers; every answer must be that rule's passive reply XML;
2. `--flood` messages from `--flood-clients` concurrent clients as fast as they go, while 5
   other clients send a keyword callback every 0.2 s each; every message must be stored once.

For each it prints p50/p95/p99 of the time in the web process (gunicorn's %(D)s, from
reading the request to the last byte written) and of the client's round trip (which adds the
wait for a free worker thread: 200 clients on a few dozen threads queue), and the CPU time the
load generator (this process), gunicorn and PostgreSQL spent, with the load average: client and
server share this machine's cores. The target (issue 13 item 6) is p95 < 50 ms in the web
process. `--max-requests` overrides the config's worker replacement (0: never). Exits 1
when a reply is wrong, a message is lost or the flood takes longer than a minute.
"""

import argparse
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-replies-token"
APP_ID = "wx-bench-replies"
ACCOUNT = "gh_benchreplies"
KEYWORDS = [f"关键词{n}" for n in range(30)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _environment(work: Path) -> dict:
    env = dict(os.environ)
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith("postgres"):
        database = database.rstrip("/") + "_replies"
    else:
        database = f"sqlite:///{work / 'bench.sqlite3'}"
    cache = os.environ.get("CACHE_URL") or (
        f"redis://127.0.0.1:6379/4?key_prefix=replies-{uuid.uuid4().hex[:8]}"
        if _redis_up()
        else f"filecache://{work / 'cache'}"
    )
    env.update(
        DJANGO_SETTINGS_MODULE="alumni_cms.settings",
        DATA_DIR=str(work),
        DATABASE_URL=database,
        CACHE_URL=cache,
        SECRET_KEY="bench-" + uuid.uuid4().hex,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        WECHAT_EMULATOR="false",
        WECHATPAY_EMULATOR="false",
        WECHAT_TOKEN=TOKEN,
        WECHAT_APP_ID=APP_ID,
        WECHAT_APP_SECRET="bench",
        CELERY_BROKER_URL="memory://localhost/",
        STATS_COUNT_VIEWS="false",
        LOG_LEVEL="WARNING",
    )
    return env


def _prepare(env: dict) -> None:
    """Migrate and seed the rules in a child process (this one stays free of Django)."""
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.db import connection\n"
        "call_command('migrate', verbosity=0)\n"
        "from wechat.models import ReplyRule, InboxMessage\n"
        "ReplyRule.objects.all().delete(); InboxMessage.objects.all().delete()\n"
        f"for n, word in enumerate({KEYWORDS!r}):\n"
        "    ReplyRule.objects.create(name=word, pattern=word, match='contains' if n % 2 else"
        " 'exact', priority=n, text='回复' + word)\n"
        "ReplyRule.objects.create(name='正则', match='regex', pattern=r'^(19|20)\\d{2}级$',"
        " text='请回复学号')\n"
        "ReplyRule.objects.create(name='默认', trigger='default', text='已收到')\n"
    )
    if env["DATABASE_URL"].startswith("postgres"):
        base, _, name = env["DATABASE_URL"].rpartition("/")
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name])
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True)


def _stored(env: dict) -> int:
    script = (
        "import django; django.setup()\n"
        "from wechat.models import InboxMessage\n"
        "print(InboxMessage.objects.count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True
    )
    return int(out.stdout.decode().strip().splitlines()[-1])


_msg_ids = count(8_000_000_000_000)
_lock = threading.Lock()


def _signed(xml: str) -> tuple[str, bytes]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:16]
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    return f"/wechat/callback/?signature={signature}&timestamp={timestamp}&nonce={nonce}", (
        xml.encode()
    )


def _message(openid: str, content: str) -> str:
    with _lock:
        msg_id = next(_msg_ids)
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def _client(port: int, jobs, latencies: list, failures: list, accepted: list | None = None):
    """Post each job's callback; like WeChat, try a push 3 times when no answer comes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for openid, content, expected in jobs:
        path, body = _signed(_message(openid, content))
        for attempt in range(3):
            started = time.perf_counter()
            try:
                connection.request("POST", path, body, {"Content-Type": "text/xml"})
                response = connection.getresponse()
                answer = response.read().decode()
                break
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                if attempt == 2:
                    failures.append(repr(exc))
                time.sleep(0.2)
        else:
            continue
        latencies.append(time.perf_counter() - started)
        if response.status == 200 and accepted is not None:
            accepted.append(1)
        if response.status != 200 or (expected and f"<![CDATA[{expected}]]>" not in answer):
            failures.append(f"{response.status}: {answer[:120]}")
    connection.close()


def _run(port: int, clients: int, jobs_of, accepted=None) -> tuple[list, list, float]:
    latencies: list[float] = []
    failures: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(port, jobs_of(c), latencies, failures, accepted))
        for c in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started


def _percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"


def _server_times(log: Path, start: int) -> tuple[list[float], int]:
    lines = log.read_text().splitlines()
    times = [int(m.group(1)) / 1e6 for line in lines[start:] if (m := re.search(r"(\d+)$", line))]
    return times, len(lines)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(port: int, database: str) -> dict[str, float]:
    """CPU seconds used so far by this process (the load generator), the gunicorn on `port`
    (workers it replaced included) and the PostgreSQL backends of `database` (Linux /proc;
    backends that ended, when a replaced worker's connections closed, are missed)."""
    used = {"client": time.process_time(), "gunicorn": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
        if "gunicorn" in command and f"127.0.0.1:{port}" in command:
            # With the workers the arbiter replaced (max_requests): cutime, cstime.
            used["gunicorn"] += seconds + (int(fields[13]) + int(fields[14])) / _TICKS
        elif command.startswith("postgres:") and f" {database} " in command:
            used["postgres"] += seconds
    return used


def _cpu_line(before: dict, after: dict, elapsed: float, requests: int) -> str:
    spent = {k: after[k] - before[k] for k in before}
    total = sum(spent.values())
    parts = ", ".join(
        f"{k} {v:.1f} s ({v / requests * 1000:.2f} ms a request)" for k, v in spent.items()
    )
    return (
        f"  CPU: {parts}; {total:.1f} CPU-s in {elapsed:.1f} s = {total / elapsed:.2f} of "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--flood", type=int, default=10_000)
    parser.add_argument("--flood-clients", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--max-requests",
        type=int,
        default=None,
        help="override deploy/gunicorn.conf.py's max_requests (0: never replace a worker)",
    )
    args = parser.parse_args()

    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="replies-bench-", dir=shm if shm.is_dir() else None))
    env = _environment(work)
    _prepare(env)
    port = _free_port()
    log = work / "access.log"
    log.touch()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            *(["--max-requests", str(args.max_requests)] if args.max_requests is not None else []),
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(s)s %(D)s",
            "alumni_cms.wsgi",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ok = True
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        # Each worker builds its copy of the rules on its first callback: warm them up.
        _run(port, args.workers * args.threads, lambda c: [(f"oWARM{c:023d}", "你好", "")] * 3)
        _, mark = _server_times(log, 0)
        database = env["DATABASE_URL"].rpartition("/")[2]
        cpu_before = _cpu(port, database)

        def keyword_jobs(c):
            word = KEYWORDS[c % len(KEYWORDS)]
            return [(f"oBENCH{c:022d}", word, "回复" + word)] * args.per_client

        latencies, failures, elapsed = _run(port, args.clients, keyword_jobs)
        server_times, mark = _server_times(log, mark)
        total = args.clients * args.per_client
        print(
            f"keyword replies: {args.clients} concurrent clients, {total} callbacks in "
            f"{elapsed:.1f} s ({total / elapsed:.0f}/s); gunicorn {args.workers} workers × "
            f"{args.threads} threads; database {env['DATABASE_URL'].split(':')[0]}, cache "
            f"{env['CACHE_URL'].split(':')[0]}"
        )
        print(f"  web process:  {_percentiles(server_times)}")
        print(f"  round trip:   {_percentiles(latencies)}")
        print(_cpu_line(cpu_before, _cpu(port, database), elapsed, total))
        if failures:
            ok = False
            print(f"  FAILED: {len(failures)} wrong or missing replies, e.g. {failures[:3]}")
        p95 = statistics.quantiles(server_times, n=100)[94] if len(server_times) > 1 else 1
        if p95 >= 0.050:
            print("  target missed: p95 in the web process is not under 50 ms")

        before = _stored(env)
        per = args.flood // args.flood_clients

        def flood_jobs(c):
            return [(f"oFLOOD{c:022d}", f"第{c}-{n}条消息", "") for n in range(per)]

        probe_latencies: list[float] = []
        probe_failures: list[str] = []
        stop = threading.Event()

        def probe():
            # A follower every 0.2 s per probe (25 a second in all): replies measured while
            # the flood runs, without the probes becoming a second flood.
            while not stop.wait(0.2):
                _client(
                    port,
                    [("oPROBE" + "0" * 22, "关键词3", "回复关键词3")],
                    probe_latencies,
                    probe_failures,
                )

        probes = [threading.Thread(target=probe) for _ in range(5)]
        for thread in probes:
            thread.start()
        accepted: list[int] = []
        cpu_before = _cpu(port, database)
        latencies, failures, elapsed = _run(port, args.flood_clients, flood_jobs, accepted)
        stop.set()
        for thread in probes:
            thread.join()
        cpu_after = _cpu(port, database)
        server_times, mark = _server_times(log, mark)
        stored = _stored(env) - before
        sent = per * args.flood_clients
        print(
            f"flood: {sent} messages from {args.flood_clients} clients in {elapsed:.1f} s "
            f"({sent / elapsed:.0f}/s), {len(accepted)} answered 200, {stored} stored (with "
            f"the {len(probe_latencies)} keyword callbacks of 5 other clients meanwhile)"
        )
        print(f"  web process (all):     {_percentiles(server_times)}")
        print(f"  keyword round trip:    {_percentiles(probe_latencies)}")
        print(_cpu_line(cpu_before, cpu_after, elapsed, sent + len(probe_latencies)))
        if failures or probe_failures:
            ok = False
            print(
                f"  FAILED: {len(failures) + len(probe_failures)} errors, e.g. "
                f"{(failures + probe_failures)[:3]}"
            )
        if stored != len(accepted) + len(probe_latencies):
            ok = False
            print(f"  LOST: {len(accepted) + len(probe_latencies) - stored} answered, not stored")
        if len(accepted) != sent:
            ok = False
            print(f"  {sent - len(accepted)} pushes got no answer in 3 attempts")
        if elapsed > 60:
            ok = False
            print("  too slow: the flood took more than a minute")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
