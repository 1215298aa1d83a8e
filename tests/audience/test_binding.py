"""Binding a follower to an alumni record: web authorization through the emulator, the code
sent to the record's e-mail or phone, rate limits, and the office's part."""

import logging
from urllib.parse import urlsplit

import pytest
import requests
from django.core import mail
from django.urls import reverse

from audience.errors import AlreadyBoundError, RateLimitedError
from audience.models import BindingCode, Channel, Follower, ProfileChange, RecordRequest
from audience.services import (
    binding_code_send,
    follower_bind,
    record_request_fulfil,
)
from tests.audience.conftest import mailed_code
from tests.audience.support import SENT
from tests.factories import AlumnusFactory, FollowerFactory
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db

READER = openid_for(7)


def sign_in_through_wechat(client, emulator, openid: str = READER, start: str = "/me/"):
    """Open `start` the way WeChat's in-app browser would: our page sends the browser to the
    emulator's authorize URL, which redirects back to /me/oauth/ with a code."""
    emulator.state.configure(oauth_openid=openid)
    to_wechat = client.get(start)
    assert to_wechat.status_code == 302
    back = requests.get(to_wechat["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    url = urlsplit(back.headers["Location"])
    return client.get(f"{url.path}?{url.query}")


@pytest.fixture
def alumnus():
    return AlumnusFactory(
        name="张伟", class_year=2005, phone="13800138000", email="zhang.wei@example.com"
    )


def ask_for_code(client, destination="0:email"):
    client.post(reverse("audience:bind"), {"name": "张伟", "class_year": "2005"})
    return client.post(reverse("audience:code_send"), {"destination": destination})


def test_menu_entry_sends_an_unknown_reader_to_wechat_authorization(client, emulator):
    response = client.get("/me/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{emulator.url}/connect/oauth2/authorize?")
    assert "scope=snsapi_base" in location
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fme%2Foauth%2F" in location


def test_authorized_reader_without_record_lands_on_the_bind_page(client, emulator):
    response = sign_in_through_wechat(client, emulator)

    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("audience:bind")
    assert Follower.objects.filter(openid=READER, subscribed=True).exists()


def test_right_code_binds_the_follower_to_the_record(client, emulator, alumnus):
    sign_in_through_wechat(client, emulator)
    ask_for_code(client)

    response = client.post(reverse("audience:code"), {"code": mailed_code()})

    assert response["Location"] == reverse("audience:profile")
    alumnus.refresh_from_db()
    assert alumnus.follower.openid == READER
    assert alumnus.wechat_openid == READER
    assert mail.outbox[0].to == ["zhang.wei@example.com"]


def test_bind_page_offers_only_masked_destinations(client, emulator, alumnus):
    sign_in_through_wechat(client, emulator)

    response = client.post(reverse("audience:bind"), {"name": "张伟", "class_year": "2005"})

    page = response.content.decode()
    assert "138****8000" in page and "z***@example.com" in page
    assert "13800138000" not in page and "zhang.wei@" not in page


def test_wrong_code_leaves_the_follower_unbound(client, emulator, alumnus):
    sign_in_through_wechat(client, emulator)
    ask_for_code(client)
    wrong = "000000" if mailed_code() != "000000" else "111111"

    response = client.post(reverse("audience:code"), {"code": wrong})

    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert Follower.objects.get(openid=READER).alumnus is None
    assert BindingCode.objects.get().attempts == 1


def test_code_dies_after_too_many_wrong_attempts(client, emulator, alumnus, settings):
    settings.AUDIENCE_CODE_MAX_ATTEMPTS = 2
    sign_in_through_wechat(client, emulator)
    ask_for_code(client)
    right = mailed_code()
    wrong = "000000" if right != "000000" else "111111"
    client.post(reverse("audience:code"), {"code": wrong})
    client.post(reverse("audience:code"), {"code": wrong})

    response = client.post(reverse("audience:code"), {"code": right})

    assert response["Location"] == reverse("audience:bind")
    assert Follower.objects.get(openid=READER).alumnus is None


def test_second_code_request_within_a_minute_is_refused(client, emulator, alumnus):
    sign_in_through_wechat(client, emulator)
    ask_for_code(client)

    ask_for_code(client)

    assert len(mail.outbox) == 1
    assert BindingCode.objects.count() == 1


def test_codes_for_one_record_are_limited_whoever_asks(alumnus):
    binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.EMAIL)

    with pytest.raises(RateLimitedError):
        binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.EMAIL)


def test_hourly_code_limit_applies_per_follower(settings):
    settings.DEBUG = True  # the console stands in for SMS under DEBUG only
    settings.AUDIENCE_CODE_RATE_LIMITS = [(3600, 2)]
    follower = FollowerFactory()
    for _ in range(2):
        binding_code_send(follower=follower, alumnus=AlumnusFactory(), channel=Channel.PHONE)

    with pytest.raises(RateLimitedError) as refused:
        binding_code_send(follower=follower, alumnus=AlumnusFactory(), channel=Channel.PHONE)
    assert refused.value.retry_after == 3600


def test_phone_code_goes_to_the_console_with_the_number_masked(alumnus, capsys, settings):
    settings.DEBUG = True
    binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.PHONE)

    printed = capsys.readouterr().out
    assert "138****8000" in printed and "13800138000" not in printed


def test_code_sender_is_pluggable(alumnus, settings):
    settings.AUDIENCE_CODE_SENDER = "tests.audience.support.RecordingSender"

    binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.PHONE)

    assert SENT[0]["destination"] == "13800138000"
    assert len(SENT[0]["code"]) == 6


def test_a_code_records_the_channel_it_was_sent_by(alumnus, settings):
    settings.AUDIENCE_CODE_SENDER = "tests.audience.support.RecordingSender"

    binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.PHONE)

    assert BindingCode.objects.get().channel == Channel.PHONE


def test_oauth_return_with_a_foreign_state_is_refused(client, emulator):
    client.get("/me/")

    response = client.get(reverse("audience:oauth"), {"code": "EMUCODEx", "state": "forged"})

    assert response.status_code == 400
    assert "audience_openid" not in client.session


def test_oauth_code_used_twice_is_refused(client, emulator):
    emulator.state.configure(oauth_openid=READER)
    to_wechat = client.get("/me/")
    back = urlsplit(requests.get(to_wechat["Location"], allow_redirects=False).headers["Location"])
    client.get(f"{back.path}?{back.query}")
    other = client.__class__()
    other.get("/me/")
    state = other.session["audience_oauth_state"]
    code = dict(p.split("=") for p in back.query.split("&"))["code"]

    response = other.get(reverse("audience:oauth"), {"code": code, "state": state})

    assert response.status_code == 400
    assert "audience_openid" not in other.session


def test_record_already_bound_to_another_follower_cannot_be_bound(alumnus):
    follower_bind(follower=FollowerFactory(), alumnus=alumnus)

    with pytest.raises(AlreadyBoundError):
        follower_bind(follower=FollowerFactory(), alumnus=alumnus)


def test_reader_without_record_asks_the_office(client, emulator):
    sign_in_through_wechat(client, emulator)

    client.post(
        reverse("audience:request"),
        {"name": "李娜", "class_year": "2010", "phone": "13900001111", "college": "法学院"},
    )

    request = RecordRequest.objects.get()
    assert (request.name, request.follower.openid) == ("李娜", READER)


def test_office_turns_a_request_into_a_bound_record(office_admin):
    request = RecordRequest.objects.create(
        follower=FollowerFactory(), name="李娜", class_year=2010, phone="13900001111"
    )

    alumnus = record_request_fulfil(request=request, by=office_admin)

    assert alumnus.follower == request.follower
    assert ProfileChange.objects.get(alumnus=alumnus).user == office_admin


def test_binding_flow_logs_no_personal_data(client, emulator, alumnus, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in_through_wechat(client, emulator)
    ask_for_code(client)
    client.post(reverse("audience:code"), {"code": mailed_code()})
    client.post(
        reverse("audience:profile"),
        {"phone": "13911112222", "email": "new@example.com", "city": "北京", "employer": "某公司"},
    )

    logged = caplog.text
    assert "Follower" in logged  # the flow did log, by primary keys
    for personal in ("张伟", "13800138000", "zhang.wei", "13911112222", "new@example.com"):
        assert personal not in logged


def test_record_lookups_per_follower_are_limited(client, emulator, alumnus, settings):
    settings.AUDIENCE_LOOKUP_RATE_LIMITS = [(3600, 2)]
    sign_in_through_wechat(client, emulator)
    for _ in range(2):
        client.post(reverse("audience:bind"), {"name": "张伟", "class_year": "2005"})

    response = client.post(reverse("audience:bind"), {"name": "张伟", "class_year": "2005"})

    page = response.content.decode()
    assert "查询过于频繁" in page
    assert "138****8000" not in page


def test_a_reader_who_came_to_answer_a_survey_goes_back_to_it_once_bound(client, emulator, alumnus):
    """The survey page promises to bring the reader back after binding; the code page went to
    the profile instead, and the reader had to find the survey again."""
    survey_url = "/surveys/7/"
    sign_in_through_wechat(client, emulator)
    assert client.get(reverse("audience:identify"), {"next": survey_url})["Location"] == (
        reverse("audience:bind")
    )
    ask_for_code(client)

    response = client.post(reverse("audience:code"), {"code": mailed_code()})

    assert response["Location"] == survey_url
    assert "audience_after_bind" not in client.session


def test_the_way_back_after_binding_stays_on_this_site(client, emulator, alumnus):
    sign_in_through_wechat(client, emulator)
    client.get(reverse("audience:identify"), {"next": "https://evil.example/phish"})
    session = client.session
    assert session["audience_after_bind"] == reverse("audience:me")  # identify's own check
    session["audience_after_bind"] = "https://evil.example/phish"  # and the code page's
    session.save()
    ask_for_code(client)

    response = client.post(reverse("audience:code"), {"code": mailed_code()})

    assert response["Location"] == reverse("audience:profile")
