"""Helpers for the push tests: articles with images, running a push as the worker would."""

import time

from editorial.publishing import item_key
from tests.factories import PushableArticleFactory, media_image
from wechat.errors import RetryableError
from wechat.gateway import WeChatGateway
from wechat.models import Push, PushState
from wechat.services import push_advance, push_approve, push_create


def article_with_images(count: int = 2, **fields):
    """A published article with a cover and `count` distinct local images in its body."""
    sources = [
        media_image(f"uploads/photo{n}.jpg", color=(n * 7 % 256, 90, 160)) for n in range(count)
    ]
    body = "<p>校友们回到母校。</p>" + "".join(
        f'<p><img src="{s}" alt="照片"></p>' for s in sources
    )
    return PushableArticleFactory(body=fields.pop("body", body), **fields)


def approved_push(items, *, editor, reviewer, **options) -> Push:
    """A push of `items` composed by `editor` and approved by `reviewer` (not run yet)."""
    push = push_create(by=editor, keys=[item_key(i) for i in items], **options)
    return push_approve(push=push, by=reviewer)


def run_push(push: Push, *, gateway: WeChatGateway | None = None, attempts: int = 30) -> Push:
    """Run the push's steps as the task does, retrying retryable errors at once."""
    for _ in range(attempts):
        try:
            return push_advance(push_id=push.pk, gateway=gateway)
        except RetryableError:
            continue
    raise AssertionError(f"push {push.pk} still failing after {attempts} attempts")


def wait_for_state(push: Push, *states: str, timeout: float = 10) -> Push:
    """Poll the database until the push reaches one of `states` (default: finished/failed)."""
    states = states or (PushState.FINISHED, PushState.FAILED)
    deadline = time.monotonic() + timeout
    while True:
        push.refresh_from_db()
        if push.state in states or time.monotonic() > deadline:
            return push
        time.sleep(0.05)


def calls(emulator, path: str) -> int:
    return emulator.state.snapshot()["counters"].get(path, 0)
