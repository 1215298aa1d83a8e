"""The Celery app. Tasks live in each app's tasks.py and are found by autodiscovery."""

import contextlib
import logging
import os

from celery import Celery, bootsteps
from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun

from core.requestid import request_id_bind, request_id_reset

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alumni_cms.settings")

app = Celery("alumni_cms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_TASK = "alumni_cms.tasks.heartbeat_task"


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Each worker stamps its own heartbeat (by host name) every HEARTBEAT_INTERVAL_SECONDS on
    the worker's timer, for the system status page (alumni_cms.heartbeat)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        self._stamp(worker.hostname)
        self.tref = worker.timer.call_repeatedly(
            settings.HEARTBEAT_INTERVAL_SECONDS, self._stamp, (worker.hostname,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    @staticmethod
    def _stamp(hostname: str) -> None:
        from .heartbeat import worker_heartbeat_record

        try:
            worker_heartbeat_record(hostname=hostname)
        except Exception:  # the cache may be down for a while: the status page will say so
            logging.getLogger(__name__).warning("Cannot stamp the worker heartbeat")


app.steps["worker"].add(WorkerHeartbeat)


@before_task_publish.connect
def _scheduler_tick(sender=None, body=None, **_kwargs):
    """The scheduler's own tick: it sends the heartbeat task without arguments (a ping from
    `manage.py heartbeat` names its source)."""
    if sender != HEARTBEAT_TASK:
        return
    args = body[0] if isinstance(body, list | tuple) and body else ()
    if args:
        return
    from .heartbeat import SCHEDULER, heartbeat_record

    with contextlib.suppress(Exception):
        heartbeat_record(source=SCHEDULER)


@task_prerun.connect
def _bind_task_id(task_id=None, task=None, **_kwargs):
    """A task's log lines carry its id where a request's carry the request id."""
    if task is not None and task_id:
        task.request.log_id_token = request_id_bind(f"task-{task_id}")


@task_postrun.connect
def _unbind_task_id(task=None, **_kwargs):
    token = getattr(task.request, "log_id_token", None) if task is not None else None
    if token is not None:
        with contextlib.suppress(ValueError):
            request_id_reset(token)
        task.request.log_id_token = None


@task_failure.connect
def _task_failed(sender=None, task_id=None, exception=None, **_kwargs):
    """A task that failed for good (retries are not failures) is a problem for the status page
    and the office admins' mail (alumni_cms.status)."""
    from .status import task_failure_record

    name = getattr(sender, "name", str(sender))
    try:
        task_failure_record(task_name=name, task_id=task_id or "", error=exception)
    except Exception:  # the database may be what failed: the worker's log has the error
        logging.getLogger(__name__).warning("Cannot record the failure of task %s", name)
