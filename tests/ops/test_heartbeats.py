"""Heartbeats for the status page: the scheduler's tick and each worker by host name."""

import time
from types import SimpleNamespace

from celery.utils.timer2 import Timer

from alumni_cms.celery import WorkerHeartbeat
from alumni_cms.heartbeat import (
    SCHEDULER,
    heartbeat_last,
    worker_heartbeat_record,
    workers_forget,
    workers_last,
)
from alumni_cms.tasks import heartbeat_task


def test_sending_the_scheduled_heartbeat_stamps_the_scheduler_tick():
    before = time.time()
    heartbeat_task.apply_async()  # as celery beat sends it: no arguments, to the broker
    assert heartbeat_last(source=SCHEDULER) >= before


def test_a_ping_from_the_command_is_no_scheduler_tick():
    heartbeat_task.apply_async(args=["ping-0123"])
    assert heartbeat_last(source=SCHEDULER) is None


def test_each_worker_keeps_its_own_stamp():
    worker_heartbeat_record(hostname="celery@a")
    time.sleep(0.01)
    worker_heartbeat_record(hostname="celery@b")
    stamps = workers_last()
    assert set(stamps) == {"celery@a", "celery@b"}
    assert stamps["celery@a"] < stamps["celery@b"]


def test_a_retired_worker_can_be_forgotten():
    worker_heartbeat_record(hostname="celery@old")
    worker_heartbeat_record(hostname="celery@new")
    workers_forget(hostnames=["celery@old"])
    assert set(workers_last()) == {"celery@new"}


def test_a_worker_stamps_itself_on_its_timer(settings):
    settings.HEARTBEAT_INTERVAL_SECONDS = 0.2
    timer = Timer()
    worker = SimpleNamespace(hostname="celery@timer-host", timer=timer)
    step = WorkerHeartbeat(worker)
    try:
        step.start(worker)
        first = workers_last()["celery@timer-host"]
        deadline = time.monotonic() + 5
        while workers_last()["celery@timer-host"] == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers_last()["celery@timer-host"] > first
    finally:
        step.stop(worker)
        timer.stop()


def test_a_worker_gone_for_a_week_leaves_the_list_at_another_workers_beat():
    from django.core.cache import cache

    worker_heartbeat_record(hostname="celery@retired")
    cache.delete("alumni_cms:heartbeat:worker:celery@retired")  # its stamp expired
    worker_heartbeat_record(hostname="celery@live")
    assert set(workers_last()) == {"celery@live"}
