"""A database or cache server that stopped answering fails /healthz within seconds (settings:
DATABASE_CONNECT_TIMEOUT, CACHE_SOCKET_TIMEOUT), instead of holding the thread."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CODE = """
import time, django
django.setup()
from alumni_cms.health import {check}
started = time.monotonic()
ok = {check}()
print(ok, round(time.monotonic() - started, 1))
"""


@pytest.fixture
def silent_port():
    """A port that takes connections (the kernel's backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def run(check: str, **env) -> tuple[str, float]:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "alumni_cms.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(check=check)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    ok, seconds = out.stdout.strip().splitlines()[-1].split()
    return ok, float(seconds)


def test_a_silent_redis_cache_fails_the_check_within_its_timeout(silent_port):
    ok, seconds = run(
        "cache_ok", CACHE_URL=f"redis://127.0.0.1:{silent_port}/1", CACHE_SOCKET_TIMEOUT="0.5"
    )
    assert ok == "False"
    assert seconds < 5


def test_a_silent_database_fails_the_check_within_its_timeout(silent_port):
    ok, seconds = run(
        "database_ok",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent_port}/alumni_cms",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    assert ok == "False"
    assert seconds < 10
