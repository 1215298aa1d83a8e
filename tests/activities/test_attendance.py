"""After the activity: registered / checked in / no-shows on the activity's admin (list and
form) and on the statistics dashboard, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import RegistrationStatus
from activities.selectors import attendance
from editorial.models import State
from tests.factories import ActivityFactory, RegistrationFactory
from tests.stats.support import dashboard_table

pytestmark = pytest.mark.django_db

ATTENDED = RegistrationStatus.ATTENDED


def _past_activity(title="校友座谈会", *, came=3, stayed_away=2, waitlisted=1):
    starts = timezone.now() - timedelta(days=2)
    activity = ActivityFactory(state=State.PUBLISHED, title=title, starts_at=starts, capacity=None)
    for _ in range(came):
        RegistrationFactory(activity=activity, status=ATTENDED, checked_in_at=starts)
    for _ in range(stayed_away):
        RegistrationFactory(activity=activity)
    for _ in range(waitlisted):
        RegistrationFactory(activity=activity, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(activity=activity, status=RegistrationStatus.CANCELLED)
    return activity


def test_the_figures_count_registered_checked_in_and_no_shows():
    figures = attendance(_past_activity())
    assert (figures.registered, figures.checked_in, figures.no_shows) == (5, 3, 2)
    assert (figures.waitlisted, figures.rate) == (1, 60)


def test_before_the_activity_is_over_nobody_is_a_no_show():
    activity = ActivityFactory(state=State.PUBLISHED)
    RegistrationFactory(activity=activity)
    figures = attendance(activity)
    assert figures.no_shows is None and figures.not_yet == 1


def test_the_activity_form_shows_the_figures_and_the_door_pages(admin_client):
    activity = _past_activity()
    html = admin_client.get(
        reverse("admin:activities_activity_change", args=[activity.pk])
    ).content.decode()
    assert "已报名 5 人 · 已签到 3 人" in html
    assert "2 人未到" in html
    assert reverse("admin:activities_activity_checkin", args=[activity.pk]) in html
    assert reverse("admin:activities_activity_checkin_sheet", args=[activity.pk]) in html


def test_the_activity_list_shows_who_came_in_constant_queries(client, admin_user, queries_for):
    client.force_login(admin_user)
    url = reverse("admin:activities_activity_changelist")
    _past_activity("一")
    few = queries_for(url)
    for n in range(5):
        _past_activity(f"活动{n}")
    assert queries_for(url) == few
    html = client.get(url).content.decode()
    assert "3 / 5" in html and "2 人未到" in html


def test_the_dashboard_lists_attendance_per_activity(admin_client):
    _past_activity("校友座谈会")
    _past_activity("取消的活动").__class__.objects.filter(title="取消的活动").update(
        cancelled_at=timezone.now()
    )
    response = admin_client.get("/admin/dashboard/")
    table = dashboard_table(response, "attendance")
    assert [[str(row[0]), *row[2:]] for row in table.rows] == [["校友座谈会", 5, 3, 2, 60]]


def test_the_dashboard_costs_the_same_queries_for_more_activities(client, admin_user, queries_for):
    client.force_login(admin_user)
    _past_activity("一")
    few = queries_for("/admin/dashboard/")
    for n in range(4):
        _past_activity(f"活动{n}")
    assert queries_for("/admin/dashboard/") == few
