"""Reminders a day and an hour before, a notice when the published time or place changes, and
one when the organisers cancel the activity: each reaches every person it concerns (e-mail,
and WeChat for bound followers) through notifications, once."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from activities.errors import ActivityError, SignupError
from activities.models import Activity, RegistrationStatus
from activities.schedule import activity_announce, activity_cancel, reminders_send_due
from activities.services import registration_create
from editorial.models import State
from editorial.signals import item_published
from notifications.models import Channel, Kind, Notification
from tests.factories import (
    ActivityFactory,
    AlumnusFactory,
    EditorFactory,
    FollowerFactory,
    RegistrationFactory,
)
from wechat.constants import EMULATOR_SIGNUP_TEMPLATE
from wechat_emulator.api.common import openid_for

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _activity(starts_in: timedelta, **fields):
    starts = NOW + starts_in
    return ActivityFactory(
        state=State.PUBLISHED,
        title="北京校友年会",
        place="北京饭店",
        starts_at=starts,
        announced_starts_at=starts,
        announced_place="北京饭店",
        signup_deadline=None,
        **fields,
    )


def _registration(activity, *, days_ago=3, **fields):
    fields.setdefault("email", "zhang@example.com")
    return RegistrationFactory(
        activity=activity, created_at=NOW - timedelta(days=days_ago), **fields
    )


def _kinds(registration):
    return sorted(registration.notifications.values_list("kind", flat=True))


def test_the_day_reminder_goes_once_a_day_before(
    mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    activity = _activity(timedelta(hours=20))
    registration = _registration(activity)

    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=NOW)
        reminders_send_due(now=NOW + timedelta(minutes=1))

    assert _kinds(registration) == [Kind.REMINDER_DAY]
    [mail] = mailoutbox
    assert mail.subject == "【校友会】明天开始：北京校友年会"
    assert "北京饭店" in mail.body


def test_the_hour_reminder_goes_an_hour_before():
    activity = _activity(timedelta(minutes=50), reminded_day_for=NOW + timedelta(minutes=50))
    registration = _registration(activity)

    reminders_send_due(now=NOW)

    assert _kinds(registration) == [Kind.REMINDER_HOUR]


def test_nothing_is_due_two_days_before():
    registration = _registration(_activity(timedelta(days=2)))
    assert reminders_send_due(now=NOW) == 0
    assert _kinds(registration) == []


def test_a_day_reminder_due_within_the_last_hour_is_skipped_for_the_hour_one():
    # The scheduler was down for the day: the person gets one reminder, not two at once.
    activity = _activity(timedelta(minutes=30))
    registration = _registration(activity)

    reminders_send_due(now=NOW)

    assert _kinds(registration) == [Kind.REMINDER_HOUR]


def test_waitlisted_and_cancelled_sign_ups_get_no_reminder():
    activity = _activity(timedelta(hours=20))
    waiting = _registration(activity, status=RegistrationStatus.WAITLISTED)
    cancelled = _registration(activity, status=RegistrationStatus.CANCELLED)

    reminders_send_due(now=NOW)

    assert _kinds(waiting) == _kinds(cancelled) == []


def test_a_sign_up_made_after_the_day_mark_gets_only_the_hour_reminder():
    activity = _activity(timedelta(hours=20))
    late = _registration(activity, days_ago=0)  # just signed up: the confirmation is fresh

    reminders_send_due(now=NOW)
    reminders_send_due(now=NOW + timedelta(hours=19, minutes=30))

    assert _kinds(late) == [Kind.REMINDER_HOUR]


def test_a_new_time_gets_new_reminders():
    activity = _activity(timedelta(hours=20))
    registration = _registration(activity)
    reminders_send_due(now=NOW)
    later = activity.starts_at + timedelta(days=1)
    Activity.objects.filter(pk=activity.pk).update(starts_at=later, announced_starts_at=later)

    reminders_send_due(now=NOW + timedelta(days=1))

    assert _kinds(registration) == [Kind.REMINDER_DAY, Kind.REMINDER_DAY]


def test_a_cancelled_activity_sends_no_reminder():
    activity = _activity(timedelta(hours=20), cancelled_at=NOW)
    registration = _registration(activity)
    reminders_send_due(now=NOW)
    assert _kinds(registration) == []


def test_a_bound_follower_is_reminded_in_wechat_too(settings):
    settings.WECHAT_ACCOUNT_TYPE = "service"  # template messages (a subscription account asks)
    settings.WECHAT_TEMPLATE_SIGNUP = EMULATOR_SIGNUP_TEMPLATE
    follower = FollowerFactory(openid=openid_for(7), alumnus=AlumnusFactory())
    activity = _activity(timedelta(hours=20))
    registration = _registration(activity, alumnus=follower.alumnus)

    reminders_send_due(now=NOW)

    channels = sorted(registration.notifications.values_list("channel", "recipient"))
    assert channels == [(Channel.EMAIL, "zhang@example.com"), (Channel.WECHAT, follower.openid)]


def test_the_scheduler_runs_the_reminders_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["activities-reminders"]
    assert entry["task"] == "activities.tasks.reminders_send_due_task"
    assert entry["schedule"] == timedelta(minutes=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_remind_each_person_once(postgres_only):
    activities = [_activity(timedelta(hours=20)) for _ in range(6)]
    registrations = [_registration(a, phone=f"1390000{n:04d}") for n, a in enumerate(activities)]
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            reminders_send_due(now=NOW)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Notification.objects.filter(kind=Kind.REMINDER_DAY).count() == len(registrations)


# A change of time or place


def test_republishing_with_a_new_time_tells_registered_and_waitlisted_once(
    mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    activity = _activity(timedelta(days=5), capacity=1)
    holder = _registration(activity)
    waiting = _registration(activity, status=RegistrationStatus.WAITLISTED, phone="13900009999")
    cancelled = _registration(activity, status=RegistrationStatus.CANCELLED, phone="13900009998")
    activity.starts_at = activity.starts_at + timedelta(hours=2)
    activity.save()

    with django_capture_on_commit_callbacks(execute=True):
        item_published.send(sender=Activity, item=activity, by=None)
        item_published.send(sender=Activity, item=activity, by=None)

    assert _kinds(holder) == _kinds(waiting) == [Kind.CHANGED]
    assert _kinds(cancelled) == []
    new_time = timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")
    assert all(new_time in mail.body for mail in mailoutbox)
    assert mailoutbox[0].subject == "【校友会】时间地点变更：北京校友年会"


def test_the_first_publication_only_records_what_was_announced():
    activity = ActivityFactory(state=State.PUBLISHED, place="校本部")
    registration = _registration(activity)

    assert activity_announce(activity_id=activity.pk) is False

    activity.refresh_from_db()
    assert (activity.announced_starts_at, activity.announced_place) == (
        activity.starts_at,
        "校本部",
    )
    assert _kinds(registration) == []


def test_republishing_unchanged_tells_nobody():
    activity = _activity(timedelta(days=5))
    registration = _registration(activity)
    assert activity_announce(activity_id=activity.pk) is False
    assert _kinds(registration) == []


def test_a_new_place_is_told_and_the_reminders_follow_the_announcement():
    activity = _activity(timedelta(hours=20))
    registration = _registration(activity)
    Activity.objects.filter(pk=activity.pk).update(place="人民大会堂")

    activity_announce(activity_id=activity.pk)
    reminders_send_due(now=NOW)

    activity.refresh_from_db()
    assert activity.announced_place == "人民大会堂"
    assert _kinds(registration) == [Kind.CHANGED, Kind.REMINDER_DAY]


# Cancelling the activity


def test_cancelling_the_activity_tells_everyone_and_closes_sign_up(
    client, editor, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    activity = _activity(timedelta(days=5))
    holder = _registration(activity)
    waiting = _registration(activity, status=RegistrationStatus.WAITLISTED, phone="13900009999")

    with django_capture_on_commit_callbacks(execute=True):
        activity_cancel(activity=activity, by=editor, reason="场地临时关闭")

    assert _kinds(holder) == _kinds(waiting) == [Kind.ACTIVITY_CANCELLED]
    assert "场地临时关闭" in mailoutbox[0].body
    with pytest.raises(SignupError) as refused:
        registration_create(activity=activity, name="李四", class_year=2012, phone="13700137000")
    assert refused.value.code == "cancelled"
    html = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "本活动已取消" in html


def test_cancelling_twice_is_refused():
    activity = _activity(timedelta(days=5))
    editor = EditorFactory(username="ed2")
    activity_cancel(activity=activity, by=editor)
    with pytest.raises(ActivityError):
        activity_cancel(activity=activity, by=editor)


def test_cancelling_needs_the_right_to_change_activities():
    from tests.factories import UserFactory

    activity = _activity(timedelta(days=5))
    with pytest.raises(ActivityError):
        activity_cancel(activity=activity, by=UserFactory(is_staff=True))
    activity.refresh_from_db()
    assert activity.cancelled_at is None


def test_the_admins_cancel_page_cancels_with_the_reason(admin_client):
    activity = _activity(timedelta(days=5))
    url = reverse("admin:activities_activity_cancel", args=[activity.pk])
    assert admin_client.get(url).status_code == 200

    admin_client.post(url, {"reason": "暴雨预警"})

    activity.refresh_from_db()
    assert activity.cancelled_at is not None and activity.cancel_reason == "暴雨预警"


# Places added


def test_publishing_a_raised_capacity_moves_the_waitlist_up_and_tells_them(
    mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    activity = _activity(timedelta(days=5), capacity=1)
    _registration(activity)
    first = _registration(activity, status=RegistrationStatus.WAITLISTED, phone="13900009999")
    second = _registration(activity, status=RegistrationStatus.WAITLISTED, phone="13900009998")
    Activity.objects.filter(pk=activity.pk).update(capacity=2)
    activity.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        item_published.send(sender=Activity, item=activity, by=None)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (
        RegistrationStatus.REGISTERED,
        RegistrationStatus.WAITLISTED,
    )
    assert _kinds(first) == [Kind.PROMOTED]
    assert [m.subject for m in mailoutbox] == ["【校友会】您已获得名额：北京校友年会"]
