"""The demo data shows the activities' new parts: an activity with its own questions answered by
its sign-ups, and a past one whose guests were checked in at two doors."""

import pytest

from activities.models import Activity, RegistrationStatus
from activities.selectors import attendance, registration_answers
from tests.test_demo import demo_media, loaded  # noqa: F401  (the demo, loaded once)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loaded")]


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True


def test_the_homecoming_asks_its_own_questions_and_has_answers():
    activity = Activity.objects.get(title="青澜大学校友返校日")
    assert [q.label for q in activity.questions.all()][:2] == ["用餐偏好", "随行家属人数"]
    registration = activity.registrations.filter(status=RegistrationStatus.REGISTERED).first()
    answers = dict(registration_answers(registration))
    assert answers["用餐偏好"] in ("普通", "清真", "素食")


def test_a_past_activity_has_check_ins_at_two_doors():
    activity = Activity.objects.get(title="北京校友会年度联谊会")
    figures = attendance(activity)
    assert figures.checked_in == 26 and figures.no_shows == 3
    doors = set(
        activity.registrations.filter(status=RegistrationStatus.ATTENDED).values_list(
            "checked_in_door", flat=True
        )
    )
    assert doors == {"北门", "南门"}


def test_published_demo_activities_know_what_was_announced():
    assert not Activity.objects.filter(state="published", announced_starts_at=None).exists()
