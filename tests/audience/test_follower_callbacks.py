"""Subscribe/unsubscribe callbacks keep the follower table current between full syncs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from audience.models import Follower, FollowerDailyCount, SegmentMember
from audience.services import follower_event_apply, followers_sync
from tests.factories import AlumnusFactory, FollowerFactory, SegmentFactory
from wechat.models import CallbackEvent
from wechat_emulator import openid_for


def _event(openid: str, kind: str, at: datetime) -> CallbackEvent:
    return CallbackEvent.objects.create(
        dedup_key=f"event:{openid}:{int(at.timestamp())}:{kind}:",
        msg_type="event",
        event=kind,
        from_user=openid,
        to_user="gh_emulator00001",
        sent_at=at,
        payload={"openid": openid, "event_key": ""},
    )


@pytest.mark.django_db(transaction=True)
def test_subscribe_pushed_by_the_emulator_adds_the_follower(
    emulator, live_server, eager_tasks, wait_for
):
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")

    openid = emulator.state.subscribe()

    wait_for(lambda: Follower.objects.filter(openid=openid, subscribed=True).exists())
    assert FollowerDailyCount.objects.get(day=timezone.localdate()).new == 1
    assert CallbackEvent.objects.get(from_user=openid).processed


@pytest.mark.django_db(transaction=True)
def test_unsubscribe_pushed_by_the_emulator_marks_the_follower_and_drops_its_tags(
    emulator, live_server, eager_tasks, wait_for
):
    followers_sync()
    openid = openid_for(4)
    SegmentMember.objects.create(segment=SegmentFactory(), openid=openid)
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")

    emulator.state.unsubscribe(openid)

    wait_for(lambda: not Follower.objects.get(openid=openid).subscribed)
    assert not SegmentMember.objects.filter(openid=openid).exists()
    assert FollowerDailyCount.objects.get(day=timezone.localdate()).unsubscribed == 1


@pytest.mark.django_db
def test_event_applied_twice_counts_once():
    event = _event("oTESTa", CallbackEvent.SUBSCRIBE, timezone.now())

    follower_event_apply(event_id=event.pk)
    follower_event_apply(event_id=event.pk)

    assert FollowerDailyCount.objects.get(day=timezone.localdate()).new == 1


@pytest.mark.django_db
def test_event_older_than_the_last_applied_one_is_ignored():
    now = datetime.now(tz=UTC)
    follower = FollowerFactory(openid="oTESTb", subscribed=False, last_event_at=now)
    stale = _event(follower.openid, CallbackEvent.SUBSCRIBE, now - timedelta(minutes=1))

    follower_event_apply(event_id=stale.pk)

    follower.refresh_from_db()
    assert not follower.subscribed
    stale.refresh_from_db()
    assert stale.processed


@pytest.mark.django_db
def test_resubscribing_follower_keeps_its_alumni_binding():
    follower = FollowerFactory(subscribed=False, alumnus=AlumnusFactory())
    event = _event(follower.openid, CallbackEvent.SUBSCRIBE, timezone.now())

    follower_event_apply(event_id=event.pk)

    follower.refresh_from_db()
    assert follower.subscribed and follower.alumnus_id is not None
