"""Pushes run by a real Celery worker process over a real broker, against the emulator over HTTP.

The worker shares the test database, so these tests need PostgreSQL (pytest-django's SQLite test
database lives in this process's memory): they run in CI's PostgreSQL + Redis pass and are
skipped on the embedded defaults.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.factories import PushableArticleFactory
from tests.wechat.push_support import approved_push, article_with_images, calls, wait_for_state
from wechat.gateway import WeChatGateway
from wechat.models import Push, PushState
from wechat.services import pushes_dispatch_due

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="the worker process shares the test database: PostgreSQL only (CI runs it)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A alumni_cms worker` in its own process group, configured like this process."""

    def __init__(self, *, emulator_url: str, media_root: Path, log: Path):
        self.name = f"pushtest-{uuid.uuid4().hex[:8]}@%h"
        self.log = log
        config = _emulator_config()
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(media_root),
            "SITE_URL": django_settings.SITE_URL,
            "WECHAT_EMULATOR": "true",
            "WECHAT_API_BASE_URL": emulator_url,
            "WECHAT_APP_ID": config.app_id,
            "WECHAT_APP_SECRET": config.app_secret,
            "WECHAT_TOKEN": config.token,
            "WECHAT_TIMEOUT": "5",
            "WECHAT_RETRY_BACKOFF_BASE": "1",
            "WECHAT_RETRY_BACKOFF_MAX": "2",
            "WECHAT_RETRY_MAX": "30",
            "WECHAT_PUSH_LEASE_SECONDS": "3",
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "alumni_cms",
                "worker",
                "--pool=threads",
                "-c",
                "4",
                "-n",
                self.name,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],  # fmt: skip
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while b" ready." not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start:\n" + self.log.read_text())
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """Kill the worker at once (SIGKILL), as a crash or an OOM kill would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def _emulator_config():
    from tests.wechat.conftest import TEST_EMULATOR_CONFIG

    return TEST_EMULATOR_CONFIG


@pytest.fixture
def worker_setup(emulator, live_server, settings, tmp_path):
    """Settings shared with the worker; the emulator's notices go to the live site."""
    from alumni_cms.celery import app

    app.control.purge()  # nothing left over from an earlier run reaches this worker
    settings.MEDIA_ROOT = tmp_path / "media"
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    return {
        "emulator_url": emulator.url,
        "media_root": settings.MEDIA_ROOT,
        "log": tmp_path / "worker.log",
    }


@pytest.fixture
def worker(worker_setup):
    process = Worker(**worker_setup).start()
    yield process
    process.stop()


def _wait_all(pushes: list[Push], timeout: float) -> list[Push]:
    deadline = time.monotonic() + timeout
    ids = [p.pk for p in pushes]
    while time.monotonic() < deadline:
        done = Push.objects.filter(pk__in=ids, state__in=[PushState.FINISHED, PushState.FAILED])
        if done.count() == len(ids):
            break
        time.sleep(0.2)
    return list(Push.objects.filter(pk__in=ids).order_by("pk"))


def test_worker_sends_an_approved_push_and_the_notice_stores_the_counts(
    worker, emulator, push_editor, push_reviewer
):
    emulator.state.configure(consume_draft_on_send=False)
    push = approved_push([article_with_images(2)], editor=push_editor, reviewer=push_reviewer)
    push = wait_for_state(push, timeout=30)
    snapshot = emulator.state.snapshot()
    [draft], [mass] = snapshot["drafts"], snapshot["sends"]
    [article] = WeChatGateway().get_draft(draft["media_id"])
    assert sorted(draft["articles"][0]["images"]) == sorted(snapshot["images"])
    assert "/media/" not in article.content
    assert (push.state, push.msg_id, push.draft_media_id) == (
        PushState.FINISHED,
        mass["msg_id"],
        draft["media_id"],
    )
    assert (push.total_count, push.sent_count) == (25, 25)


def test_hundred_pushes_under_faults_make_exactly_hundred_mass_sends(
    worker, emulator, push_editor, push_reviewer, settings
):
    settings.WECHAT_ACCOUNT_TYPE = "service"
    emulator.state.configure(account_type="service", service_daily_sends=1000)
    articles = PushableArticleFactory.create_batch(10)
    emulator.state.set_faults(
        error_rate=0.1, error_codes=[45009, -1], drop_after_commit_rate=0.1, seed=4
    )
    pushes = [
        approved_push([articles[n % 10]], editor=push_editor, reviewer=push_reviewer)
        for n in range(100)
    ]
    pushes = _wait_all(pushes, timeout=110)
    sends = emulator.state.snapshot()["sends"]
    assert [p.state for p in pushes] == [PushState.FINISHED] * 100
    assert len(sends) == 100
    assert calls(emulator, "cgi-bin/message/mass/sendall") > 100  # some answers were lost
    assert sorted(s["clientmsgid"] for s in sends) == sorted(p.client_msg_id for p in pushes)


def test_worker_killed_while_sending_is_resumed_without_sending_twice(
    worker_setup, emulator, push_editor, push_reviewer
):
    first = Worker(**worker_setup).start()
    emulator.state.set_faults(latency_ms=1500, paths=["message/mass/sendall"])
    push = approved_push([article_with_images(3)], editor=push_editor, reviewer=push_reviewer)
    deadline = time.monotonic() + 30
    while not Push.objects.filter(pk=push.pk, send_attempts__gte=1).exists():
        assert time.monotonic() < deadline, "the push never started sending"
        time.sleep(0.05)
    first.kill()  # the send is in flight: WeChat gets it, nobody records the answer
    uploads = calls(emulator, "cgi-bin/media/uploadimg")
    time.sleep(3.5)  # the dead run's lease (WECHAT_PUSH_LEASE_SECONDS=3) passes
    second = Worker(**worker_setup).start()
    try:
        assert pushes_dispatch_due() == 1
        push = wait_for_state(push, timeout=30)
    finally:
        second.stop()
    assert push.state == PushState.FINISHED
    assert len(emulator.state.snapshot()["sends"]) == 1
    assert calls(emulator, "cgi-bin/media/uploadimg") == uploads == 3
