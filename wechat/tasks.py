"""Celery tasks of the wechat app: thin, idempotent shells around wechat.services.

They carry ids, never model instances; the push's progress lives in the database, so running a
task twice (a redelivery after a worker died, the scheduler and a retry at once) does no harm.
"""

from celery import shared_task
from django.conf import settings

from .services import (
    PushRetry,
    push_advance,
    push_drafts_cleanup,
    push_fail,
    pushes_dispatch_due,
)


@shared_task(
    name="wechat.tasks.push_advance_task",
    bind=True,
    acks_late=True,
    max_retries=settings.WECHAT_RETRY_MAX,
)
def push_advance_task(self, push_id: int) -> str:
    """Run the next unfinished steps of a push. Safe to run twice.

    After a retryable WeChat error it runs again when the service says (backoff with jitter,
    never sooner than WeChat asked: a minute after 45066); out of retries, push_fail gives up,
    except on a push WeChat may have sent, which the scheduler keeps asking WeChat about.
    """
    try:
        push = push_advance(push_id=push_id)
    except PushRetry as exc:
        if self.request.retries >= self.max_retries:
            return push_fail(push_id=push_id, error=exc.error).state
        raise self.retry(exc=exc, countdown=exc.countdown) from exc
    return push.state if push is not None else ""


@shared_task(name="wechat.tasks.pushes_dispatch_due_task", acks_late=True)
def pushes_dispatch_due_task() -> int:
    """Queue the pushes whose time has come (run by beat every minute). Safe to run twice."""
    return pushes_dispatch_due()


@shared_task(name="wechat.tasks.push_drafts_cleanup_task", acks_late=True)
def push_drafts_cleanup_task() -> int:
    """Delete drafts no push needs any more (run by beat every hour). Safe to run twice."""
    return push_drafts_cleanup()


@shared_task(
    name="wechat.tasks.menu_publish_task",
    bind=True,
    acks_late=True,
    max_retries=settings.WECHAT_RETRY_MAX,
)
def menu_publish_task(self, version_id: int) -> str:
    """Publish an approved menu version to WeChat. Safe to run twice (see menu_publish);
    retried with backoff after a retryable WeChat error, then recorded as failed."""
    from .errors import RetryableError
    from .services.menu import menu_publish, menu_publish_failed

    try:
        version = menu_publish(version_id=version_id)
    except RetryableError as exc:
        if self.request.retries >= self.max_retries:
            menu_publish_failed(version_id=version_id, error=exc)
            return "failed"
        countdown = min(
            settings.WECHAT_RETRY_BACKOFF_MAX,
            max(exc.retry_after, settings.WECHAT_RETRY_BACKOFF_BASE * 2**self.request.retries),
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    return version.state if version is not None else ""
