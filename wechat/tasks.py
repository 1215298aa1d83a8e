"""Celery tasks of the wechat app: thin, idempotent shells around wechat.services.

They carry ids, never model instances; the push's progress lives in the database, so running a
task twice (a redelivery after a worker died, the scheduler and a retry at once) does no harm.
"""

from celery import shared_task
from django.conf import settings

from .errors import RetryableError
from .services import push_advance, push_fail, pushes_dispatch_due


@shared_task(
    name="wechat.tasks.push_advance_task",
    bind=True,
    acks_late=True,
    autoretry_for=(RetryableError,),
    retry_backoff=settings.WECHAT_RETRY_BACKOFF_BASE,
    retry_backoff_max=settings.WECHAT_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.WECHAT_RETRY_MAX,
)
def push_advance_task(self, push_id: int) -> str:
    """Run the next unfinished steps of a push; retried with backoff while WeChat may succeed
    later, then the push fails with the last reason. Safe to run twice."""
    try:
        push = push_advance(push_id=push_id)
    except RetryableError as exc:
        if self.request.retries >= self.max_retries:
            return push_fail(push_id=push_id, error=exc).state
        raise
    return push.state if push is not None else ""


@shared_task(name="wechat.tasks.pushes_dispatch_due_task", acks_late=True)
def pushes_dispatch_due_task() -> int:
    """Queue the pushes whose time has come (run by beat every minute). Safe to run twice."""
    return pushes_dispatch_due()
