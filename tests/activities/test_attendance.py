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


# The follow-up survey


@pytest.fixture
def survey():
    from tests.factories import SurveyFactory

    return SurveyFactory(state=State.PUBLISHED, title="年会反馈")


def test_the_follow_up_survey_goes_to_those_who_came_once(
    editor, survey, mailoutbox, settings, django_capture_on_commit_callbacks, celery_eager
):
    from activities.schedule import activity_followup_send
    from notifications.models import Kind, Notification

    settings.SITE_URL = "https://alumni.example.edu.cn"
    activity = _past_activity(came=2, stayed_away=1, waitlisted=0)
    activity.registrations.update(email="someone@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        assert activity_followup_send(activity=activity, survey_id=survey.pk, by=editor) == 2
        activity_followup_send(activity=activity, survey_id=survey.pk, by=editor)

    sent = Notification.objects.filter(kind=Kind.FOLLOWUP_SURVEY)
    assert sorted(sent.values_list("registration__status", flat=True)) == [ATTENDED, ATTENDED]
    assert len(mailoutbox) == 2
    link = "https://alumni.example.edu.cn" + survey.get_absolute_url()
    assert link in mailoutbox[0].body
    assert mailoutbox[0].subject == "【校友会】活动感受如何？校友座谈会"


def test_a_survey_that_is_not_published_cannot_be_sent(editor):
    from activities.errors import ActivityError
    from activities.schedule import activity_followup_send
    from tests.factories import SurveyFactory

    draft = SurveyFactory(state=State.DRAFT)
    with pytest.raises(ActivityError):
        activity_followup_send(activity=_past_activity(), survey_id=draft.pk, by=editor)


def test_sending_the_follow_up_needs_the_right_to_change_activities(survey):
    from activities.errors import ActivityError
    from activities.schedule import activity_followup_send
    from tests.factories import UserFactory

    with pytest.raises(ActivityError):
        activity_followup_send(
            activity=_past_activity(), survey_id=survey.pk, by=UserFactory(is_staff=True)
        )


def test_the_admin_sends_the_follow_up_from_the_activity(admin_client, survey):
    from notifications.models import Kind, Notification

    activity = _past_activity(came=1, stayed_away=0, waitlisted=0)
    activity.registrations.update(email="someone@example.com")
    change = admin_client.get(
        reverse("admin:activities_activity_change", args=[activity.pk])
    ).content.decode()
    url = reverse("admin:activities_activity_followup", args=[activity.pk])
    assert url in change
    assert "年会反馈" in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"survey": str(survey.pk)})

    assert response.status_code == 302
    assert Notification.objects.filter(kind=Kind.FOLLOWUP_SURVEY).count() == 1
    activity.refresh_from_db()
    assert activity.followup_survey_id == survey.pk


def test_a_forged_survey_choice_gets_a_message(admin_client):
    activity = _past_activity(came=1)
    url = reverse("admin:activities_activity_followup", args=[activity.pk])
    response = admin_client.post(url, {"survey": "x'; drop table"}, follow=True)
    assert response.status_code == 200
    assert "请选择一份已发布的问卷" in response.content.decode()
