"""Fixtures of the audience tests: the WeChat emulator (shared with tests/wechat), a cache of
their own per test (the code rate limits live there) and Celery tasks run inline."""

import re
import time
import uuid

import pytest
from django.core import mail

from tests.wechat.conftest import cover, emulator, emulator_server, gateway, make_draft  # noqa: F401

from .support import SENT


@pytest.fixture(autouse=True)
def _own_cache(settings):
    run = uuid.uuid4().hex
    settings.CACHES = {
        alias: {
            **{k: v for k, v in config.items() if k in ("TIMEOUT", "KEY_PREFIX")},
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"audience-{alias}-{run}",
        }
        for alias, config in settings.CACHES.items()
    }
    SENT.clear()


@pytest.fixture
def eager_tasks():
    """Celery tasks run inline, as a worker would run them."""
    from alumni_cms.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def wait_for():
    """Poll `condition` until true (events pushed by the emulator arrive on another thread)."""

    def wait(condition, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")

    return wait


def mailed_code() -> str:
    """The 6-digit code in the last e-mail sent."""
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
