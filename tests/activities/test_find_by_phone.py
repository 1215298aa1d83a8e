"""Finding one's sign-ups again by phone number with a six-digit code sent to that number.

Each guard has its attack here: codes hashed, expiring, burnt after five wrong tries, asking and
guessing limited per number and per client address, and nothing revealed about a number before
its code is verified."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import LookupCode, RegistrationStatus
from activities.services import registration_token
from editorial.models import State
from tests.activities import support
from tests.factories import ActivityFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
OTHER = "13900139000"


@pytest.fixture(autouse=True)
def _recording_sender(settings):
    settings.ACTIVITIES_CODE_SENDER = "tests.activities.support.RecordingSender"
    support.SENT.clear()


def _ask(client, phone=PHONE, **extra):
    return client.post(reverse("activities:lookup"), {"phone": phone}, **extra)


def _verify(client, code, **extra):
    return client.post(reverse("activities:lookup_code"), {"code": code}, **extra)


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _signed_in(client, phone=PHONE):
    _ask(client, phone)
    response = _verify(client, support.last_code(phone))
    assert response.status_code == 302
    return response


def test_the_activity_page_and_the_registration_page_link_to_the_search(client):
    activity = ActivityFactory(state=State.PUBLISHED)
    registration = RegistrationFactory(activity=activity)
    url = reverse("activities:lookup")

    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    token = registration_token(registration=registration)
    own = client.get(reverse("activities:registration", args=[token])).content.decode()

    assert f'href="{url}"' in detail
    assert f'href="{url}"' in own
    assert "找回我的报名" in detail


def test_asking_sends_a_six_digit_code_and_asks_for_it(client):
    response = _ask(client)

    assert response.status_code == 302
    [sent] = support.SENT
    assert (sent["channel"], sent["destination"]) == ("phone", PHONE)
    assert len(sent["code"]) == 6 and sent["code"].isdigit()
    page = client.get(response.url).content.decode()
    assert "6 位验证码已发送至 138****8000，10 分钟内有效。" in page


def test_the_right_code_shows_the_sign_ups_of_that_number_only(client):
    mine = RegistrationFactory(
        phone=PHONE, activity=ActivityFactory(state=State.PUBLISHED, title="北京校友年会")
    )
    RegistrationFactory(
        phone=PHONE,
        status=RegistrationStatus.CANCELLED,
        activity=ActivityFactory(state=State.PUBLISHED, title="上海迎新会"),
    )
    RegistrationFactory(phone=OTHER, activity=ActivityFactory(title="别人的活动"))

    response = _signed_in(client)

    page = client.get(response.url).content.decode()
    assert "北京校友年会" in page and "上海迎新会" in page
    assert "别人的活动" not in page
    assert "已取消" in page
    token = registration_token(registration=mine)
    assert reverse("activities:registration", args=[token]) in page


def test_a_number_without_sign_ups_gets_the_same_answer_and_a_code(client):
    RegistrationFactory(phone=PHONE)

    with_signups = _ask(client, PHONE)
    with_page = client.get(with_signups.url).content.decode()
    without = _ask(client, OTHER)
    without_page = client.get(without.url).content.decode()

    assert (with_signups.status_code, with_signups.url) == (without.status_code, without.url)
    assert _without_csrf(with_page).replace("138****8000", "") == _without_csrf(
        without_page
    ).replace("139****9000", "")
    assert [s["destination"] for s in support.SENT] == [PHONE, OTHER]


def test_a_number_without_sign_ups_sees_an_empty_list_after_the_code(client):
    response = _signed_in(client, OTHER)

    assert "该手机号没有报名记录。" in client.get(response.url).content.decode()


def test_neither_the_code_nor_the_number_is_stored_in_the_clear(client):
    _ask(client)

    lookup = LookupCode.objects.get()
    code = support.last_code(PHONE)
    stored = " ".join(str(getattr(lookup, f.attname)) for f in LookupCode._meta.fields)
    assert code not in stored
    assert PHONE not in stored


def test_a_wrong_code_says_how_many_tries_are_left(client):
    _ask(client)

    response = _verify(client, _wrong(support.last_code(PHONE)))

    assert response.status_code == 200
    assert "验证码不正确，还可尝试 4 次。" in response.content.decode()


def test_five_wrong_tries_burn_the_code(client):
    _ask(client)
    code = support.last_code(PHONE)
    for _ in range(5):
        _verify(client, _wrong(code))

    response = _verify(client, code)

    assert response.status_code == 200
    assert "验证码已失效，请重新获取。" in response.content.decode()
    assert client.get(reverse("activities:my_registrations")).status_code == 302


def test_an_expired_code_is_refused(client):
    _ask(client)
    LookupCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _verify(client, support.last_code(PHONE))

    assert "验证码已失效，请重新获取。" in response.content.decode()


def test_a_code_expires_after_ten_minutes(client, settings):
    before = timezone.now()
    _ask(client)

    lookup = LookupCode.objects.get()
    assert timedelta(minutes=10) <= lookup.expires_at - before <= timedelta(minutes=10, seconds=5)


def test_a_used_code_cannot_be_used_again(client):
    _signed_in(client)
    code = support.last_code(PHONE)
    client.post(reverse("activities:lookup_end"))
    session = client.session
    session["activities_lookup_phone"] = PHONE
    session.save()

    response = _verify(client, code)

    assert "验证码已失效，请重新获取。" in response.content.decode()


def test_a_new_code_stops_the_earlier_one(client, settings):
    settings.ACTIVITIES_LOOKUP_CODE_PHONE_LIMITS = [(3600, 5)]
    _ask(client)
    first = support.last_code(PHONE)
    _ask(client)

    assert first != support.last_code(PHONE)  # one chance in a million of the same code

    response = _verify(client, first)

    assert "验证码不正确" in response.content.decode()


def test_codes_for_one_number_are_limited(client):
    _ask(client)

    response = _ask(client)

    assert response.status_code == 429
    assert "刚刚已向该手机号发送过验证码，请 1 分钟后再试。" in response.content.decode()
    assert len(support.SENT) == 1


def test_codes_from_one_address_are_limited(client, settings):
    settings.ACTIVITIES_LOOKUP_CODE_IP_LIMITS = [(3600, 2)]
    _ask(client, "13800000001")
    _ask(client, "13800000002")

    response = _ask(client, "13800000003")

    assert response.status_code == 429
    assert "您所在的网络获取验证码过于频繁" in response.content.decode()
    assert len(support.SENT) == 2


def test_guessing_from_one_address_is_limited(client, settings):
    settings.ACTIVITIES_LOOKUP_VERIFY_IP_LIMITS = [(3600, 2)]
    _ask(client)
    code = support.last_code(PHONE)
    _verify(client, _wrong(code))
    _verify(client, _wrong(code))

    response = _verify(client, code)

    assert response.status_code == 429
    assert "您所在的网络尝试次数过多" in response.content.decode()


def test_the_list_needs_a_verified_code(client):
    RegistrationFactory(phone=PHONE, activity=ActivityFactory(title="北京校友年会"))
    _ask(client)

    response = client.get(reverse("activities:my_registrations"))

    assert response.status_code == 302
    assert response.url == reverse("activities:lookup")


def test_the_code_page_needs_a_number_first(client):
    response = _verify(client, "123456")

    assert response.status_code == 302
    assert response.url == reverse("activities:lookup")


def test_the_list_closes_after_its_time(client, settings):
    _signed_in(client)
    session = client.session
    session["activities_lookup"]["until"] = 0
    session.save()

    response = client.get(reverse("activities:my_registrations"))

    assert response.status_code == 302


def test_closing_the_list_ends_it(client):
    _signed_in(client)

    client.post(reverse("activities:lookup_end"))

    assert client.get(reverse("activities:my_registrations")).status_code == 302


def test_a_code_typed_in_full_width_digits_is_accepted(client):
    _ask(client)
    full_width = support.last_code(PHONE).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )

    response = _verify(client, full_width)

    assert response.status_code == 302
    assert response.url == reverse("activities:my_registrations")


def test_verifying_gives_the_session_a_new_key(client):
    _ask(client)
    before = client.session.session_key

    _verify(client, support.last_code(PHONE))

    assert client.session.session_key != before


@pytest.mark.parametrize("phone", ["12345", "abc", "138 0013 800O", "+1 415 555 0100", ""])
def test_a_bad_number_gets_a_chinese_message_and_no_code(client, phone):
    response = _ask(client, phone)

    assert response.status_code == 200
    page = response.content.decode()
    assert "请填写有效的手机号码" in page or "请填写手机号码。" in page
    assert support.SENT == []


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", "١٢٣٤٥٦", "12 34 5"])
def test_a_malformed_code_gets_a_chinese_message(client, code):
    _ask(client)

    response = _verify(client, code)

    assert response.status_code == 200
    assert "验证码为 6 位数字。" in response.content.decode()


def test_a_sender_that_fails_keeps_no_code_and_says_so(client, settings):
    settings.ACTIVITIES_CODE_SENDER = "tests.activities.support.FailingSender"

    response = _ask(client)

    assert response.status_code == 200
    assert "验证码发送失败，请稍后再试。" in response.content.decode()
    assert not LookupCode.objects.exists()


def test_the_list_costs_the_same_queries_for_two_or_five_sign_ups(
    client, django_assert_num_queries
):
    for _ in range(2):
        RegistrationFactory(phone=PHONE, activity=ActivityFactory(state=State.PUBLISHED))
    _signed_in(client)
    url = reverse("activities:my_registrations")

    with CaptureQueriesContext(connection) as two:
        client.get(url)
    for _ in range(3):
        RegistrationFactory(phone=PHONE, activity=ActivityFactory(state=State.PUBLISHED))

    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count('class="activity-item"') == 5


def test_codes_older_than_a_day_are_deleted(client):
    _ask(client, OTHER)
    LookupCode.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))

    _ask(client)

    assert LookupCode.objects.count() == 1
