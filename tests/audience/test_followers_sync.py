"""The full follower sync against the emulator over HTTP (25 followers, pages of 10)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audience.models import Follower, FollowerDailyCount, FollowerSyncRun, SyncStatus
from audience.services import followers_sync
from tests.audience.support import seed_failing_nth
from tests.factories import FollowerFactory
from wechat.errors import RetryableError
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db

USER_GET = "cgi-bin/user/get"
BATCHGET = "cgi-bin/user/info/batchget"


def counters(emulator) -> dict:
    return emulator.state.snapshot()["counters"]


def test_full_sync_stores_every_follower(emulator):
    run = followers_sync()

    assert run.status == SyncStatus.FINISHED
    assert Follower.objects.filter(subscribed=True).count() == 25
    follower = Follower.objects.get(openid=openid_for(3))
    assert follower.language == "zh_CN"
    assert follower.subscribe_time is not None
    assert follower.last_sync_run == run.pk


def test_full_sync_pages_through_user_get_and_asks_user_info_per_page(emulator):
    run = followers_sync()

    # Pages of 10, 10 and 5, then the empty page that ends the list; one batchget per page.
    assert counters(emulator)[USER_GET] == 4
    assert counters(emulator)[BATCHGET] == 3
    assert (run.pages, run.calls, run.followers_seen, run.total_reported) == (4, 7, 25, 25)


def test_full_sync_batches_user_info_by_100(emulator, settings):
    emulator.state.configure(follower_count=250, page_size=10_000)

    followers_sync()

    assert counters(emulator)[BATCHGET] == 3
    assert Follower.objects.count() == 250


def test_sync_run_twice_updates_rather_than_duplicates(emulator):
    followers_sync()
    second = followers_sync()

    assert Follower.objects.count() == 25
    assert Follower.objects.filter(last_sync_run=second.pk).count() == 25


def test_interrupted_sync_resumes_after_the_last_stored_page(emulator):
    # The second user/get call fails: page one is stored, the run keeps its cursor.
    emulator.state.set_faults(
        paths=[USER_GET], error_rate=0.5, error_codes=[-1], times=1, seed=seed_failing_nth(2)
    )
    with pytest.raises(RetryableError):
        followers_sync()
    run = FollowerSyncRun.objects.get()
    assert run.status == SyncStatus.RUNNING
    assert run.next_openid == openid_for(9)
    assert run.owner == ""
    assert Follower.objects.count() == 10

    resumed = followers_sync()

    assert resumed.pk == run.pk
    assert resumed.status == SyncStatus.FINISHED
    assert Follower.objects.count() == 25
    # Page one was not fetched again: 3 batchget calls in all.
    assert counters(emulator)[BATCHGET] == 3


def test_sync_exits_at_once_while_another_worker_holds_the_run(emulator):
    FollowerSyncRun.objects.create(owner="other-worker", heartbeat_at=timezone.now())

    assert followers_sync() is None
    assert USER_GET not in counters(emulator)
    assert Follower.objects.count() == 0


def test_stalled_run_is_taken_over_and_resumed_from_its_cursor(emulator, settings):
    stalled = FollowerSyncRun.objects.create(
        owner="dead-worker",
        heartbeat_at=timezone.now() - settings.AUDIENCE_SYNC_LEASE - timedelta(seconds=1),
        next_openid=openid_for(9),
    )

    run = followers_sync()

    assert run.pk == stalled.pk
    assert run.status == SyncStatus.FINISHED
    assert Follower.objects.count() == 15  # followers 10 to 24: the rest was done before


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_one_runs_the_other_exits(emulator, postgres_only):
    emulator.state.set_faults(latency_ms=150, paths=[USER_GET])
    results = []

    def sync():
        try:
            results.append(followers_sync())
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    finished = [r for r in results if r is not None]
    assert len(results) == 2 and len(finished) == 1
    assert FollowerSyncRun.objects.get().status == SyncStatus.FINISHED
    assert counters(emulator)[USER_GET] == 4
    assert Follower.objects.count() == 25


def test_follower_missing_from_the_list_is_marked_unfollowed(emulator):
    gone = FollowerFactory(openid=openid_for(999), subscribed=True)

    run = followers_sync()

    gone.refresh_from_db()
    assert not gone.subscribed
    assert run.marked_unsubscribed == 1
    assert FollowerDailyCount.objects.get(day=timezone.localdate()).unsubscribed == 1


def test_follower_whose_subscribe_event_arrived_during_the_sync_is_kept(emulator):
    newcomer = FollowerFactory(
        openid=openid_for(999),
        subscribed=True,
        last_event_at=timezone.now() + timedelta(seconds=5),
    )

    followers_sync()

    newcomer.refresh_from_db()
    assert newcomer.subscribed


def test_sync_records_todays_follower_total(emulator):
    followers_sync()

    assert FollowerDailyCount.objects.get(day=timezone.localdate()).total == 25


def test_refused_request_marks_the_run_failed_and_the_next_sync_starts_afresh(emulator):
    emulator.state.set_faults(paths=[USER_GET], error_rate=1.0, error_codes=[48001], times=1)

    failed = followers_sync()

    assert failed.status == SyncStatus.FAILED
    assert "48001" in failed.error
    fresh = followers_sync()
    assert fresh.pk != failed.pk
    assert fresh.status == SyncStatus.FINISHED
