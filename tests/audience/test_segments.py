"""Segments: who is in them, and their mirror as a WeChat tag on the emulator."""

import pytest
from django.urls import reverse

from activities.models import RegistrationStatus
from audience.errors import SegmentSyncError
from audience.models import Follower, Segment, SegmentMember, Tristate
from audience.selectors import segment_alumni, segment_size
from audience.services import alumnus_erase, follower_bind, segment_delete, segment_sync
from tests.factories import (
    AlumnusFactory,
    FollowerFactory,
    GiftFactory,
    RegistrationFactory,
    SegmentFactory,
)
from wechat.services import tag_choices
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db

TAGGING = "cgi-bin/tags/members/batchtagging"
UNTAGGING = "cgi-bin/tags/members/batchuntagging"


def bound_follower(index: int, **alumnus_fields):
    """Emulator follower `index`, bound to a new record with `alumnus_fields`."""
    follower = FollowerFactory(openid=openid_for(index))
    return follower_bind(follower=follower, alumnus=AlumnusFactory(**alumnus_fields))


def tag_of(emulator, name: str) -> dict:
    return next(t for t in emulator.state.snapshot()["tags"] if t["name"] == name)


def test_segment_filters_by_class_year_range_college_and_city():
    inside = AlumnusFactory(class_year=2005, college="法学院", city="上海")
    AlumnusFactory(class_year=2012, college="法学院", city="上海")
    AlumnusFactory(class_year=2005, college="医学院", city="上海")
    segment = SegmentFactory(
        class_year_from=2000, class_year_to=2010, college="法学院", city="上海"
    )

    assert list(segment_alumni(segment)) == [inside]


def test_segment_filters_donors_and_activity_participants():
    donor_participant = AlumnusFactory()
    GiftFactory(donor_alumnus=donor_participant)
    RegistrationFactory(alumnus=donor_participant)
    cancelled = AlumnusFactory()
    GiftFactory(donor_alumnus=cancelled)
    RegistrationFactory(alumnus=cancelled, status=RegistrationStatus.CANCELLED)
    AlumnusFactory()
    segment = SegmentFactory(donor=Tristate.YES, participant=Tristate.YES)

    assert list(segment_alumni(segment)) == [donor_participant]


def test_segment_excludes_deleted_records():
    erased = AlumnusFactory(class_year=2005)
    alumnus_erase(alumnus=erased)

    assert not segment_alumni(SegmentFactory(class_year_from=2005)).exists()


def test_segment_size_counts_records_bound_and_still_following():
    AlumnusFactory(city="上海")
    bound_follower(1, city="上海")
    gone = bound_follower(2, city="上海")
    Follower.objects.filter(pk=gone.pk).update(subscribed=False)

    size = segment_size(SegmentFactory(city="上海"))

    assert (size.records, size.bound, size.reachable) == (3, 2, 1)


def test_sync_creates_the_tag_named_like_the_segment_and_tags_its_members(emulator):
    bound_follower(1, city="上海")
    bound_follower(2, city="上海")
    bound_follower(3, city="北京")
    segment = SegmentFactory(name="上海校友", city="上海")

    result = segment_sync(segment=segment)

    assert tag_of(emulator, "上海校友") == {"id": result.tag_id, "name": "上海校友", "count": 2}
    segment.refresh_from_db()
    assert (segment.wechat_tag_id, segment.member_count) == (result.tag_id, 2)


def test_second_sync_sends_nothing(emulator):
    bound_follower(1, city="上海")
    segment = SegmentFactory(city="上海")
    segment_sync(segment=segment)
    calls = emulator.state.snapshot()["counters"][TAGGING]

    result = segment_sync(segment=segment)

    assert (result.added, result.removed) == (0, 0)
    assert emulator.state.snapshot()["counters"][TAGGING] == calls
    assert UNTAGGING not in emulator.state.snapshot()["counters"]


def test_members_joining_are_tagged_and_leaving_are_untagged(emulator, gateway):
    staying = bound_follower(1, city="上海")
    leaving = bound_follower(2, city="上海")
    segment = SegmentFactory(city="上海")
    segment_sync(segment=segment)
    joining = bound_follower(3, city="上海")
    leaving.alumnus.city = "北京"
    leaving.alumnus.save()

    result = segment_sync(segment=segment)

    assert (result.added, result.removed) == (1, 1)
    members = set(SegmentMember.objects.values_list("openid", flat=True))
    assert members == {staying.openid, joining.openid}
    assert gateway.tags_of(leaving.openid) == []
    assert gateway.tags_of(joining.openid) == [segment.wechat_tag_id]


def test_tagging_goes_in_batches_of_50(emulator):
    emulator.state.configure(follower_count=120)
    for index in range(60):
        bound_follower(index, city="广州")

    segment_sync(segment=SegmentFactory(name="广州校友", city="广州"))

    assert emulator.state.snapshot()["counters"][TAGGING] == 2
    assert tag_of(emulator, "广州校友")["count"] == 60


def test_member_who_unfollowed_is_dropped_without_an_untag_call(emulator):
    member = bound_follower(1, city="上海")
    segment = SegmentFactory(city="上海")
    segment_sync(segment=segment)
    emulator.state.unsubscribe(member.openid)
    Follower.objects.filter(pk=member.pk).update(subscribed=False)

    result = segment_sync(segment=segment)

    assert result.removed == 1
    assert UNTAGGING not in emulator.state.snapshot()["counters"]


def test_follower_wechat_no_longer_knows_is_skipped_not_fatal(emulator):
    bound_follower(1, city="上海")
    ghost = bound_follower(500, city="上海")  # beyond the emulator's 25 followers

    result = segment_sync(segment=SegmentFactory(city="上海"))

    assert (result.added, result.not_following) == (1, 1)
    assert not Follower.objects.get(pk=ghost.pk).subscribed


def test_push_to_a_segment_reaches_only_its_tag(emulator, gateway, make_draft):
    first, second = bound_follower(1, city="上海"), bound_follower(2, city="上海")
    bound_follower(3, city="北京")
    segment = SegmentFactory(city="上海")
    segment_sync(segment=segment)

    gateway.mass_send(media_id=make_draft(), tag_id=segment.wechat_tag_id, client_msg_id="seg-1")

    [sent] = emulator.state.snapshot()["inbox"]
    assert sent["audience"] == f"tag {segment.wechat_tag_id}"
    assert sent["recipients"] == 2
    assert sorted(sent["sample_openids"]) == sorted([first.openid, second.openid])


def test_tag_limit_of_the_account_gives_a_clear_error(emulator):
    emulator.state.set_faults(paths=["cgi-bin/tags/create"], error_rate=1.0, error_codes=[45056])
    segment = SegmentFactory()

    with pytest.raises(SegmentSyncError) as refused:
        segment_sync(segment=segment)

    assert "100 个标签" in str(refused.value.message)
    segment.refresh_from_db()
    assert "100 个标签" in segment.last_sync_error
    assert segment.sync_started_at is None


def test_renamed_segment_renames_its_tag(emulator):
    segment = SegmentFactory(name="旧名")
    segment_sync(segment=segment)
    segment.name = "新名"
    segment.save()

    segment_sync(segment=segment)

    assert tag_of(emulator, "新名")["id"] == segment.wechat_tag_id


def test_tag_deleted_in_wechat_is_created_again_with_its_members(emulator, gateway):
    bound_follower(1, city="上海")
    segment = SegmentFactory(city="上海")
    segment_sync(segment=segment)
    gateway.tag_delete(segment.wechat_tag_id)
    bound_follower(2, city="上海")

    result = segment_sync(segment=segment)

    assert tag_of(emulator, segment.name) == {"id": result.tag_id, "name": segment.name, "count": 2}


def test_existing_tag_of_the_same_name_is_adopted_and_cleaned(emulator, gateway):
    member = bound_follower(1, city="上海")
    tag = gateway.tag_create("上海校友")
    gateway.tag_members_add(tag.id, [openid_for(9)])  # tagged by hand, not in the segment

    segment_sync(segment=SegmentFactory(name="上海校友", city="上海"))

    assert tag_of(emulator, "上海校友") == {"id": tag.id, "name": "上海校友", "count": 1}
    assert gateway.tags_of(member.openid) == [tag.id]


def test_deleting_a_segment_deletes_its_tag(emulator):
    segment = SegmentFactory(name="临时分组")
    segment_sync(segment=segment)

    segment_delete(segment=segment)

    assert not Segment.objects.exists()
    assert all(t["name"] != "临时分组" for t in emulator.state.snapshot()["tags"])


def test_segment_admin_shows_the_size_before_any_sync(client, office_admin):
    bound_follower(1, city="上海")
    segment = SegmentFactory(city="上海")
    client.force_login(office_admin)

    page = client.get(reverse("admin:audience_segment_change", args=[segment.pk]))

    assert "仍在关注 1 人" in page.content.decode()


def test_segment_admin_sync_action_reports_wechats_refusal(client, office_admin, emulator):
    emulator.state.set_faults(paths=["cgi-bin/tags/create"], error_rate=1.0, error_codes=[45056])
    segment = SegmentFactory(name="满额")
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:audience_segment_changelist"),
        {"action": "sync_to_wechat", "_selected_action": [segment.pk]},
        follow=True,
    )

    assert "满额：" in response.content.decode() or "满额: " in response.content.decode()
    assert "100 个标签" in response.content.decode()


def test_synced_segment_is_offered_by_name_as_a_push_audience(emulator):
    tag_choices()  # cached before the tag exists
    segment = SegmentFactory(name="法学院校友")

    segment_sync(segment=segment)

    assert (segment.wechat_tag_id, "法学院校友") in tag_choices()
