"""A real Celery worker stamps its own heartbeat by host name (the WorkerHeartbeat bootstep), so
the status page sees every worker, not only the one that ran the scheduler's heartbeat."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_running_worker_appears_under_its_host_name(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alumni_cms.settings",
        "DATA_DIR": str(tmp_path),
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
        "CELERY_BROKER_URL": "filesystem://",
        "HEARTBEAT_INTERVAL_SECONDS": "1",
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "alumni_cms", "worker", "--pool=solo",
         "-n", "ops-test@host-a", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )  # fmt: skip
    cache = FileBasedCache(str(tmp_path / "cache"), {})
    try:
        deadline = time.monotonic() + 60
        names = []
        while time.monotonic() < deadline and worker.poll() is None:
            names = cache.get("alumni_cms:heartbeat:workers") or []
            if names:
                break
            time.sleep(0.25)
        assert names == ["ops-test@host-a"], log.read_text(errors="replace")[-2000:]
        first = cache.get("alumni_cms:heartbeat:worker:ops-test@host-a")
        time.sleep(2.5)
        assert cache.get("alumni_cms:heartbeat:worker:ops-test@host-a") > first
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
