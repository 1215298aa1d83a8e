"""Handing tasks to the broker without letting a broker outage break a web request.

`enqueue(task, *args)` sends a Celery task and answers whether the broker took it; when it
cannot be reached (Redis or RabbitMQ down, a wrong URL) the failure is logged and the caller
carries on: whatever the task was for is still recorded in the database, and the periodic work
that beat runs (e.g. `pushes_dispatch_due`) picks it up once the broker is back. A view that
wants to tell the person collects what could not be queued during its work::

    with unqueued() as missed:
        push_approve(push=push, by=request.user)   # enqueues on commit
    if missed:
        messages.warning(request, ...)
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What Celery raises when it cannot publish: kombu wraps connection failures (refused, reset,
# timed out, unknown host) into its OperationalError after its publish retries; a plain
# OSError can still escape from some transports while connecting.
BROKER_ERRORS = (OperationalError, OSError)

_missed: ContextVar[list[str] | None] = ContextVar("alumni_cms_unqueued", default=None)


def _broker_errors(task) -> tuple[type[BaseException], ...]:
    """What the task's transport raises when its broker is unreachable or refuses us (kombu
    lists them per transport: a refused login on RabbitMQ is amqp's AccessRefused)."""
    with task.app.connection_for_write() as connection:
        return BROKER_ERRORS + tuple(connection.connection_errors + connection.channel_errors)


def enqueue(task, *args, **kwargs) -> bool:
    """Send `task(*args, **kwargs)` to the broker. Returns False (after logging it) when the
    broker cannot take it; never raises for a broker outage."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception as exc:
        if not isinstance(exc, _broker_errors(task)):
            raise
        logger.warning("The task queue is unavailable; %s was not queued: %s", task.name, exc)
        missed = _missed.get()
        if missed is not None:
            missed.append(task.name)
        return False
    return True


@contextmanager
def unqueued() -> Iterator[list[str]]:
    """The names of the tasks `enqueue` could not queue inside the block (on-commit enqueues
    included, when the block's transaction commits inside it)."""
    missed: list[str] = []
    token = _missed.set(missed)
    try:
        yield missed
    finally:
        _missed.reset(token)
