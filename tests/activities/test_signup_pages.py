from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Registration, RegistrationStatus
from activities.services import registration_token
from editorial.models import State
from tests.factories import ActivityFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

FORM = {"name": "张三", "class_year": "2010", "phone": "13800138000"}


@pytest.fixture
def activity():
    return ActivityFactory(state=State.PUBLISHED, title="北京校友年会", capacity=10)


def _post(client, activity, **changes):
    data = {**FORM, **changes}
    return client.post(reverse("activities:detail", args=[activity.pk]), data, follow=True)


def test_signing_up_shows_the_confirmation_with_the_status(client, activity):
    response = _post(client, activity)

    page = response.content.decode()
    assert "报名成功" in page
    assert "您已成功报名“北京校友年会”。" in page
    assert Registration.objects.get().status == RegistrationStatus.REGISTERED


def test_signing_up_for_a_full_activity_shows_the_waitlist_position(client, activity):
    RegistrationFactory.create_batch(10, activity=activity)
    RegistrationFactory(activity=activity, status=RegistrationStatus.WAITLISTED)

    response = _post(client, activity)

    assert "您目前在候补名单第 2 位。" in response.content.decode()


def test_confirmation_masks_the_phone_number(client, activity):
    page = _post(client, activity).content.decode()

    assert "138****8000" in page
    assert "13800138000" not in page


def test_signing_up_with_a_spaced_phone_number_stores_the_digits(client, activity):
    _post(client, activity, phone="+86 138-0013-8000")

    assert Registration.objects.get().phone == "13800138000"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": ""}, "请填写手机号码。"),
        ({"phone": "1380013800"}, "请填写有效的手机号码（以 1 开头的 11 位数字）。"),
        ({"phone": "28800138000"}, "请填写有效的手机号码（以 1 开头的 11 位数字）。"),
        ({"name": "  "}, "请填写姓名。"),
        ({"class_year": ""}, "请填写届别。"),
    ],
    ids=["missing-phone", "short-phone", "not-mobile", "blank-name", "missing-year"],
)
def test_signup_form_errors_are_shown_in_chinese_and_nothing_is_saved(
    client, activity, changes, message
):
    response = _post(client, activity, **changes)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Registration.objects.exists()


def test_signing_up_after_the_deadline_shows_the_error_and_saves_nothing(client):
    activity = ActivityFactory(
        state=State.PUBLISHED, signup_deadline=timezone.now() - timedelta(minutes=5)
    )

    response = _post(client, activity)

    assert "本活动报名已截止。" in response.content.decode()
    assert not Registration.objects.exists()


def test_signing_up_for_a_full_activity_without_waitlist_shows_the_error_and_saves_nothing(
    client,
):
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1, waitlist_enabled=False)
    RegistrationFactory(activity=activity)

    response = _post(client, activity)

    assert "本活动名额已满。" in response.content.decode()
    assert Registration.objects.count() == 1


def test_signing_up_twice_with_one_phone_shows_the_error_and_saves_nothing_more(client, activity):
    _post(client, activity)

    response = _post(client, activity, name="张三丰")

    assert "该手机号已报名本活动。" in response.content.decode()
    assert Registration.objects.count() == 1


def test_signup_errors_are_in_english_when_the_browser_asks(client, activity):
    response = client.post(
        reverse("activities:detail", args=[activity.pk]),
        {**FORM, "phone": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "Enter a valid mainland China mobile number" in response.content.decode()


def test_cancel_link_asks_for_confirmation_before_cancelling(client):
    registration = RegistrationFactory(activity__state=State.PUBLISHED)
    url = reverse(
        "activities:registration_cancel", args=[registration_token(registration=registration)]
    )

    response = client.get(url)

    assert "确定取消报名" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REGISTERED


def test_confirming_the_cancellation_cancels_and_promotes_the_first_waitlisted(client):
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1)
    holder = RegistrationFactory(activity=activity)
    waiting = RegistrationFactory(activity=activity, status=RegistrationStatus.WAITLISTED)
    token = registration_token(registration=holder)

    response = client.post(reverse("activities:registration_cancel", args=[token]), follow=True)

    assert "该报名已取消。" in response.content.decode()
    holder.refresh_from_db()
    waiting.refresh_from_db()
    assert (holder.status, waiting.status) == (
        RegistrationStatus.CANCELLED,
        RegistrationStatus.REGISTERED,
    )


def test_the_confirmation_page_links_to_the_cancel_page(client, activity):
    response = _post(client, activity)

    token = response.resolver_match.kwargs["token"]
    assert reverse("activities:registration_cancel", args=[token]) in response.content.decode()


@pytest.mark.parametrize("view", ["activities:registration", "activities:registration_cancel"])
def test_a_forged_registration_token_is_not_found(client, view):
    registration = RegistrationFactory()
    forged = registration_token(registration=registration)[:-2] + "xx"

    assert client.get(reverse(view, args=[forged])).status_code == 404
    assert client.post(reverse(view, args=[forged])).status_code in (404, 405)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REGISTERED
