"""An activity as an .ics file (icalendar): linked from the activity's page and the ticket page,
in Asia/Shanghai time with its VTIMEZONE, a UID that stays the same, cancelled when it is."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from activities.services import registration_token
from editorial.models import State
from tests.factories import ActivityFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://alumni.example.edu.cn"


@pytest.fixture
def activity():
    starts = datetime(2027, 3, 6, 14, 30, tzinfo=SHANGHAI)
    return ActivityFactory(
        state=State.PUBLISHED,
        title="北京校友年会",
        place="北京饭店宴会厅",
        starts_at=starts,
        ends_at=starts.replace(hour=17),
        signup_deadline=None,
    )


def _event(response):
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    return event


def test_the_file_holds_the_event_in_shanghai_time(client, activity):
    response = client.get(reverse("activities:calendar", args=[activity.pk]))
    event = _event(response)
    start = event.decoded("dtstart")
    assert start == activity.starts_at
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert b"DTSTART;TZID=Asia/Shanghai:20270306T143000" in response.content
    assert b"BEGIN:VTIMEZONE" in response.content
    assert str(event["summary"]) == "北京校友年会"
    assert str(event["location"]) == "北京饭店宴会厅"
    assert "attachment" in response["Content-Disposition"]


def test_the_uid_is_stable_across_downloads_and_edits(client, activity):
    url = reverse("activities:calendar", args=[activity.pk])
    first = _event(client.get(url))["uid"]
    activity.title = "北京校友年会（新）"
    activity.save()
    assert (
        _event(client.get(url))["uid"] == first == f"activity-{activity.pk}@alumni.example.edu.cn"
    )


def test_the_activity_and_the_ticket_page_link_the_file(client, activity):
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert reverse("activities:calendar", args=[activity.pk]) in page
    token = registration_token(registration=RegistrationFactory(activity=activity))
    ticket = client.get(reverse("activities:registration", args=[token])).content.decode()
    assert reverse("activities:registration_calendar", args=[token]) in ticket


def test_the_ticket_pages_file_says_a_cancelled_activity_is_cancelled(client, activity):
    activity.cancelled_at = timezone.now()
    activity.save()
    token = registration_token(registration=RegistrationFactory(activity=activity))
    event = _event(client.get(reverse("activities:registration_calendar", args=[token])))
    assert str(event["status"]) == "CANCELLED"


def test_an_unpublished_activity_has_no_public_file(client):
    draft = ActivityFactory(state=State.DRAFT)
    assert client.get(reverse("activities:calendar", args=[draft.pk])).status_code == 404


def test_a_forged_ticket_link_has_no_file(client):
    url = reverse("activities:registration_calendar", args=["not-a-token"])
    assert client.get(url).status_code == 404
