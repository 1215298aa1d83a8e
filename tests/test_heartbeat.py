"""`manage.py heartbeat`: the health check that a worker (and the scheduler) take tasks.

deploy/smoke.sh runs it against real worker and beat processes on Redis and RabbitMQ; here it
runs against this process (eager tasks) and an isolated in-memory cache.
"""

import threading
import time

import pytest
from django.core.management import CommandError, call_command

from alumni_cms.heartbeat import heartbeat_last, heartbeat_record
from alumni_cms.tasks import heartbeat_task


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"heartbeat-{request.node.name}",
        }
    }


def test_heartbeat_task_stamps_the_scheduler_heartbeat(celery_eager):
    before = time.time()
    heartbeat_task.delay()
    assert heartbeat_last() >= before


def test_check_fails_before_any_heartbeat():
    with pytest.raises(CommandError):
        call_command("heartbeat")


def test_check_passes_after_a_recent_heartbeat():
    heartbeat_record()
    call_command("heartbeat", "--max-age", "60")


def test_check_fails_when_the_last_heartbeat_is_too_old():
    heartbeat_record()
    time.sleep(0.05)
    with pytest.raises(CommandError):
        call_command("heartbeat", "--max-age", "0.01")


def test_ping_succeeds_when_a_worker_runs_the_task(celery_eager):
    call_command("heartbeat", "--ping", "--timeout", "5")


def test_ping_fails_when_no_worker_runs_the_task():
    # Not eager: the task waits in the configured broker, which no worker here consumes.
    with pytest.raises(CommandError):
        call_command("heartbeat", "--ping", "--timeout", "0.5")


def test_next_waits_for_the_scheduler_heartbeat():
    timer = threading.Timer(0.3, heartbeat_record)
    timer.start()
    try:
        call_command("heartbeat", "--next", "--timeout", "5")
    finally:
        timer.cancel()


def test_next_fails_when_only_an_old_heartbeat_exists():
    heartbeat_record()
    with pytest.raises(CommandError):
        call_command("heartbeat", "--next", "--timeout", "0.5")
