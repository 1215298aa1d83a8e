import csv
import io

import pytest
from django.urls import reverse

from activities.models import RegistrationStatus
from tests.factories import ActivityFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:activities_registration_changelist"


def _act(client, action, registrations, follow=False):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [r.pk for r in registrations]},
        follow=follow,
    )


def test_cancelling_a_registration_gives_the_place_to_the_waitlist(admin_client):
    activity = ActivityFactory(capacity=1)
    holder = RegistrationFactory(activity=activity)
    waiting = RegistrationFactory(activity=activity, status=RegistrationStatus.WAITLISTED)
    _act(admin_client, "cancel_registrations", [holder])
    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert holder.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.REGISTERED


def test_cancelling_an_attended_registration_is_refused_with_a_message(admin_client):
    attended = RegistrationFactory(status=RegistrationStatus.ATTENDED, name="张三")
    response = _act(admin_client, "cancel_registrations", [attended], follow=True)
    attended.refresh_from_db()
    assert attended.status == RegistrationStatus.ATTENDED
    assert "未取消：张三" in " ".join(str(m) for m in response.context["messages"])


def test_mark_attended_only_changes_registered_sign_ups(admin_client):
    registered = RegistrationFactory()
    waiting = RegistrationFactory(status=RegistrationStatus.WAITLISTED)
    _act(admin_client, "mark_attended", [registered, waiting])
    registered.refresh_from_db()
    waiting.refresh_from_db()
    assert (registered.status, waiting.status) == (
        RegistrationStatus.ATTENDED,
        RegistrationStatus.WAITLISTED,
    )


def test_export_csv_has_a_row_per_sign_up_with_chinese_headers(admin_client):
    activity = ActivityFactory(title="返校日")
    first = RegistrationFactory(activity=activity, name="李四", phone="+8613900001111")
    second = RegistrationFactory(activity=activity, name="=HYPERLINK(1)")
    response = _act(admin_client, "export_csv", [first, second])
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["活动", "姓名"]
    assert rows[1][:2] == ["返校日", "李四"]
    assert rows[1][3] == "+8613900001111"
    assert rows[2][1] == "'=HYPERLINK(1)"


def test_activity_changelist_shows_places_taken_of_capacity(admin_client):
    activity = ActivityFactory(capacity=30)
    RegistrationFactory.create_batch(2, activity=activity)
    RegistrationFactory(activity=activity, status=RegistrationStatus.CANCELLED)
    response = admin_client.get(reverse("admin:activities_activity_changelist"))
    assert "2 / 30" in response.content.decode()


def test_registration_list_masks_phone_numbers(admin_client):
    RegistrationFactory(phone="13800138000")

    response = admin_client.get(reverse("admin:activities_registration_changelist"))

    page = response.content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page


def test_activity_changelist_shows_the_waitlist_beside_the_places(admin_client):
    activity = ActivityFactory(capacity=1)
    RegistrationFactory(activity=activity)
    RegistrationFactory.create_batch(2, activity=activity, status=RegistrationStatus.WAITLISTED)
    response = admin_client.get(reverse("admin:activities_activity_changelist"))
    assert '1 / 1 <span class="quiet">候补 2</span>' in response.content.decode()
