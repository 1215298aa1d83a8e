#!/usr/bin/env python3
"""The README's first command, as a newcomer runs it: `python3 dev.py run` on embedded defaults.

Run by .ci/run (standard library only). In a fresh data folder and on free ports, `dev.py run`
must migrate, load the demo, and start the site, the worker, the scheduler and both emulators;
the site answers its pages and the demo editor's login, the worker runs the scheduler's heartbeat
(`manage.py status --json`), and Ctrl-C stops every process within seconds, cleanly: exit code 0,
no traceback, no pool process killed by a signal, every port free again.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = 300  # seconds: migrate, demo content and reading figures on a slow machine
STOP_TIMEOUT = 30
BAD_LINES = re.compile(r"Traceback|exited with '?signal| ERROR |ERROR/|CRITICAL")


def say(message: str, started: float) -> None:
    print(f"==> [devrun {time.monotonic() - started:5.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def fetch(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    if data is not None:
        request.add_header("Referer", url)
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_for(what: str, check, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"dev.py run ended ({process.returncode}) before {what}", log)
        try:
            if check():
                return
        except (OSError, ValueError):
            pass
        time.sleep(1)
    fail(f"no {what} after {timeout:.0f} s", log)


def fail(message: str, log: Path) -> None:
    print(log.read_text(errors="replace")[-6000:], file=sys.stderr)
    sys.exit(f"devrun: {message}")


def main() -> int:
    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="alumni-cms-devrun-"))
    ports = {
        name: free_port() for name in ("PORT", "WECHAT_EMULATOR_PORT", "WECHATPAY_EMULATOR_PORT")
    }
    env = {
        key: value
        for key, value in os.environ.items()
        # the embedded defaults: none of CI's server addresses
        if key not in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "DEBUG")
    }
    env.update(
        {name: str(port) for name, port in ports.items()},
        DATA_DIR=str(data_dir),
        HEARTBEAT_INTERVAL_SECONDS="5",
    )
    log = data_dir / "dev-run.log"
    base = f"http://127.0.0.1:{ports['PORT']}"
    say(f"python3 dev.py run in {data_dir}, site on {base}", started)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "dev.py", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C goes to dev.py alone, as from a terminal
        )
    try:
        opener = urllib.request.build_opener()
        wait_for(
            "site", lambda: fetch(opener, f"{base}/healthz")[0] == 200, START_TIMEOUT, process, log
        )
        say("the site answers /healthz", started)
        for name in ("WECHAT_EMULATOR_PORT", "WECHATPAY_EMULATOR_PORT"):
            url = f"http://127.0.0.1:{ports[name]}/_emulator/health"
            wait_for(name, lambda url=url: fetch(opener, url)[0] == 200, 30, process, log)
        say("both emulators answer", started)

        for path in ("/", "/liaison/login/", "/admin/login/"):
            status, _ = fetch(opener, base + path)
            if status != 200:
                fail(f"{path} answered {status}", log)
        jar = http.cookiejar.CookieJar()
        session = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _, page = fetch(session, f"{base}/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token:
            fail("no CSRF token on the admin login page", log)
        status, page = fetch(
            session,
            f"{base}/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": "editor",
                "password": "demo-pass-2026",
                "next": "/admin/",
            },
        )
        if status != 200 or 'name="csrfmiddlewaretoken"' in page and "id_password" in page:
            fail(f"the demo editor could not log in to the admin ({status})", log)
        say("the public pages answer and the demo editor logs in", started)

        def heartbeat() -> bool:
            answer = subprocess.run(
                [str(PYTHON), "manage.py", "status", "--json"],
                cwd=ROOT,
                env={**env, "DEBUG": "true"},
                capture_output=True,
                text=True,
            )
            state = json.loads(answer.stdout)
            return state["scheduler_ok"] and state["worker_heartbeat_ok"]

        wait_for("heartbeat from the scheduler through the worker", heartbeat, 90, process, log)
        say("the scheduler's heartbeat ran in the worker", started)

        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail(f"Ctrl-C did not stop dev.py run within {STOP_TIMEOUT} s", log)
        if code != 0:
            fail(f"dev.py run exited with {code} after Ctrl-C", log)
        deadline = time.monotonic() + 10
        while any(port_open(port) for port in ports.values()) and time.monotonic() < deadline:
            time.sleep(0.5)
        still = [name for name, port in ports.items() if port_open(port)]
        if still:
            fail(f"still listening after Ctrl-C: {', '.join(still)}", log)
        bad = [
            line for line in log.read_text(errors="replace").splitlines() if BAD_LINES.search(line)
        ]
        if bad:
            fail("the log shows:\n  " + "\n  ".join(bad[:10]), log)
        say("Ctrl-C stopped every process cleanly; dev.py run passed", started)
        return 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
