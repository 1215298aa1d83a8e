"""The incremental follower sync against the emulator over HTTP (25 followers, pages of 10).

Followers who come and go in the emulator without a callback reaching us (no callback URL is
configured) stand for the callbacks we missed.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from audience.models import (
    Follower,
    FollowerDailyCount,
    FollowerSyncPage,
    FollowerSyncRun,
    SegmentMember,
    SyncMode,
    SyncStatus,
)
from audience.services import followers_sync
from tests.audience.support import seed_failing_nth
from tests.factories import FollowerFactory, SegmentFactory
from wechat.errors import RetryableError
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db

USER_GET = "cgi-bin/user/get"
BATCHGET = "cgi-bin/user/info/batchget"
INCREMENTAL = SyncMode.INCREMENTAL


def calls(emulator, path: str) -> int:
    return emulator.state.snapshot()["counters"].get(path, 0)


@pytest.fixture
def synced(emulator):
    """A finished full sync of the emulator's 25 followers; the emulator's counters reset."""
    followers_sync(mode=SyncMode.FULL)
    with emulator.state.lock:
        emulator.state.counters.clear()
    return emulator


def test_incremental_sync_of_an_unchanged_list_fetches_no_details(synced):
    run = followers_sync(mode=INCREMENTAL)

    assert (run.status, run.mode) == (SyncStatus.FINISHED, SyncMode.INCREMENTAL)
    assert calls(synced, BATCHGET) == 0
    assert calls(synced, USER_GET) == 4  # pages of 10, 10, 5 and the empty end page
    assert (run.followers_seen, run.details_fetched, run.marked_unsubscribed) == (25, 0, 0)
    assert Follower.objects.filter(subscribed=True).count() == 25
    assert not FollowerSyncPage.objects.exists()  # the run's pages go when it finishes


def test_incremental_sync_fetches_details_of_new_followers_only(synced):
    newcomers = {synced.state.subscribe(), synced.state.subscribe()}

    run = followers_sync(mode=INCREMENTAL)

    assert calls(synced, BATCHGET) == 1
    assert run.details_fetched == 2
    stored = Follower.objects.filter(openid__in=newcomers, subscribed=True)
    assert stored.count() == 2
    assert all(f.language == "zh_CN" and f.subscribe_time for f in stored)


def test_new_followers_found_by_the_incremental_sync_count_as_new_today(synced):
    synced.state.subscribe()
    synced.state.subscribe()

    run = followers_sync(mode=INCREMENTAL)

    today = FollowerDailyCount.objects.get(day=timezone.localdate())
    assert run.found_new == 2
    assert (today.new, today.total) == (2, 27)


def test_incremental_sync_marks_departed_followers_unfollowed(synced):
    departed = openid_for(13)
    SegmentMember.objects.create(segment=SegmentFactory(), openid=departed)
    synced.state.unsubscribe(departed)

    run = followers_sync(mode=INCREMENTAL)

    follower = Follower.objects.get(openid=departed)
    assert not follower.subscribed and follower.unsubscribed_at is not None
    assert not SegmentMember.objects.filter(openid=departed).exists()
    assert run.marked_unsubscribed == 1
    assert calls(synced, BATCHGET) == 0
    today = FollowerDailyCount.objects.get(day=timezone.localdate())
    assert (today.unsubscribed, today.total) == (1, 24)


def test_follower_who_came_back_without_a_callback_is_fetched_and_following_again(synced):
    returning = Follower.objects.get(openid=openid_for(5))
    Follower.objects.filter(pk=returning.pk).update(subscribed=False)

    run = followers_sync(mode=INCREMENTAL)

    returning.refresh_from_db()
    assert returning.subscribed
    assert run.details_fetched == 1 and run.found_new == 1


def test_follower_known_from_its_subscribe_callback_alone_gets_its_details(synced):
    Follower.objects.filter(openid=openid_for(7)).update(synced_at=None, language="")

    run = followers_sync(mode=INCREMENTAL)

    assert run.details_fetched == 1
    assert Follower.objects.get(openid=openid_for(7)).language == "zh_CN"
    assert run.found_new == 0  # its callback counted it


def test_details_older_than_the_refresh_age_are_fetched_again(synced, settings):
    settings.AUDIENCE_SYNC_REFRESH_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    Follower.objects.filter(openid__in=[openid_for(1), openid_for(2)]).update(synced_at=old)

    run = followers_sync(mode=INCREMENTAL)

    assert run.details_fetched == 2
    assert Follower.objects.filter(synced_at__lt=timezone.now() - timedelta(days=1)).count() == 0


def test_refresh_age_zero_never_fetches_known_followers_again(synced, settings):
    settings.AUDIENCE_SYNC_REFRESH_DAYS = 0
    Follower.objects.update(synced_at=timezone.now() - timedelta(days=400))

    run = followers_sync(mode=INCREMENTAL)

    assert run.details_fetched == 0
    assert calls(synced, BATCHGET) == 0


def test_first_sync_ever_runs_in_full_even_when_asked_for_incremental(emulator):
    run = followers_sync(mode=INCREMENTAL)

    assert run.mode == SyncMode.FULL
    assert Follower.objects.filter(subscribed=True).count() == 25


def test_interrupted_incremental_sync_resumes_without_marking_the_first_page_departed(synced):
    newcomer = synced.state.subscribe()  # on the third page
    # The second user/get call fails: page one is stamped, the run keeps its cursor.
    synced.state.set_faults(
        paths=[USER_GET], error_rate=0.5, error_codes=[-1], times=1, seed=seed_failing_nth(2)
    )
    with pytest.raises(RetryableError):
        followers_sync(mode=INCREMENTAL)
    run = FollowerSyncRun.objects.get(status=SyncStatus.RUNNING)
    assert (run.mode, run.next_openid, run.owner) == (SyncMode.INCREMENTAL, openid_for(9), "")
    assert FollowerSyncPage.objects.get(run=run).openids == [openid_for(i) for i in range(10)]

    # A full sync asked for now resumes the interrupted incremental one.
    resumed = followers_sync(mode=SyncMode.FULL)

    assert resumed.pk == run.pk
    assert (resumed.status, resumed.mode) == (SyncStatus.FINISHED, SyncMode.INCREMENTAL)
    assert resumed.marked_unsubscribed == 0
    assert Follower.objects.filter(subscribed=True).count() == 26
    assert Follower.objects.filter(openid=newcomer, subscribed=True).exists()
    assert calls(synced, USER_GET) == 5  # page one once, the failed call, pages two to four
    assert calls(synced, BATCHGET) == 1


def test_refused_detail_request_leaves_the_newcomer_for_the_resumed_run(synced):
    newcomer = synced.state.subscribe()
    synced.state.set_faults(paths=[BATCHGET], error_rate=1.0, error_codes=[-1], times=1)
    with pytest.raises(RetryableError):
        followers_sync(mode=INCREMENTAL)
    assert not Follower.objects.filter(openid=newcomer).exists()

    run = followers_sync(mode=INCREMENTAL)

    assert run.status == SyncStatus.FINISHED
    assert Follower.objects.get(openid=newcomer).subscribed
    assert run.found_new == 1
    assert FollowerDailyCount.objects.get(day=timezone.localdate()).new == 1


def test_incremental_sync_exits_at_once_while_another_worker_holds_the_run(synced):
    FollowerSyncRun.objects.create(
        owner="other-worker", heartbeat_at=timezone.now(), mode=SyncMode.INCREMENTAL
    )

    assert followers_sync(mode=INCREMENTAL) is None
    assert calls(synced, USER_GET) == 0


def test_follower_who_subscribed_during_the_run_is_neither_marked_nor_counted_twice(synced):
    newcomer = FollowerFactory(
        openid=openid_for(999),
        subscribed=True,
        last_event_at=timezone.now() + timedelta(seconds=5),
    )

    run = followers_sync(mode=INCREMENTAL)

    newcomer.refresh_from_db()
    assert newcomer.subscribed
    assert run.marked_unsubscribed == 0
