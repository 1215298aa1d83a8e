"""Abuse of the public forms and of the logins (issue 10, item 7): sign-up floods per client and
per phone, binding codes counted atomically, failed logins locked out (django-axes) and login
attempts per address throttled. Each test sends the attack and checks the refusal."""

import threading
import uuid

import pytest
from django.core import mail
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.urls import reverse

from activities.models import Registration
from audience.errors import RateLimitedError
from audience.models import BindingCode, Channel, RecordRequest
from audience.services import binding_code_send
from audience.views import SESSION_OPENID
from core.throttle import Throttled, throttle
from editorial.models import State
from tests.factories import (
    ActivityFactory,
    AlumnusFactory,
    FollowerFactory,
    LiaisonFactory,
    OfficeAdminFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"
ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def _sign_up(client, activity, phone, address=ATTACKER, **extra):
    return client.post(
        reverse("activities:detail", args=[activity.pk]),
        {"name": "张三", "class_year": "2010", "phone": phone},
        REMOTE_ADDR=address,
        **extra,
    )


def test_signup_flood_from_one_client_stops_at_the_limit(client, settings):
    settings.ACTIVITIES_SIGNUP_IP_LIMITS = [(60, 3)]
    activity = ActivityFactory(state=State.PUBLISHED, title="北京校友年会", capacity=None)

    responses = [_sign_up(client, activity, f"1380000{n:04d}") for n in range(10)]

    assert Registration.objects.count() == 3
    refused = responses[-1]
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "您所在的网络报名过于频繁" in page
    assert "北京校友年会" in page and 'name="phone"' in page  # the activity's own page


def test_waitlist_flood_from_one_client_stops_at_the_limit(client, settings):
    settings.ACTIVITIES_SIGNUP_IP_LIMITS = [(60, 3)]
    activity = ActivityFactory(state=State.PUBLISHED, capacity=0, waitlist_enabled=True)

    for n in range(10):
        _sign_up(client, activity, f"1380000{n:04d}")

    assert Registration.objects.filter(activity=activity).count() == 3


def test_signup_flood_cannot_hide_behind_forged_forwarded_for_entries(client, settings):
    settings.STATS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.ACTIVITIES_SIGNUP_IP_LIMITS = [(60, 3)]
    activity = ActivityFactory(state=State.PUBLISHED, capacity=None)

    for n in range(10):
        # The client invents the first entry; our proxy appends the address it really saw.
        forwarded = f"10.0.{n}.1, {ATTACKER}"
        _sign_up(client, activity, f"1380000{n:04d}", HTTP_X_FORWARDED_FOR=forwarded)

    assert Registration.objects.count() == 3


def test_a_throttled_client_does_not_stop_other_clients(client, settings):
    settings.ACTIVITIES_SIGNUP_IP_LIMITS = [(60, 3)]
    activity = ActivityFactory(state=State.PUBLISHED, capacity=None)
    for n in range(5):
        _sign_up(client, activity, f"1380000{n:04d}")

    response = _sign_up(client, activity, "13900000000", address=OFFICE)

    assert response.status_code == 302
    assert Registration.objects.filter(phone="13900000000").exists()


def test_one_phone_number_is_limited_across_activities(client, settings):
    settings.ACTIVITIES_SIGNUP_PHONE_LIMITS = [(3600, 2)]
    activities = ActivityFactory.create_batch(4, state=State.PUBLISHED, capacity=None)

    responses = [
        _sign_up(client, activity, "13800138000", address=f"192.0.2.{n}")
        for n, activity in enumerate(activities)
    ]

    assert Registration.objects.filter(phone="13800138000").count() == 2
    assert responses[-1].status_code == 429
    assert "该手机号报名过于频繁" in responses[-1].content.decode()


class InterleavingCache(LocMemCache):
    """A real locmem cache that, at its `cut`-th call, first runs `interloper` to the end: a
    second request arriving exactly there, between two steps of the first one."""

    cut = 0
    interloper = None
    calls = 0

    def _step(self):
        type(self).calls += 1
        if type(self).calls == type(self).cut and type(self).interloper:
            interloper, type(self).interloper = type(self).interloper, None
            interloper()

    def add(self, *args, **kwargs):
        self._step()
        return super().add(*args, **kwargs)

    def get(self, *args, **kwargs):
        self._step()
        return super().get(*args, **kwargs)

    def set(self, *args, **kwargs):
        self._step()
        return super().set(*args, **kwargs)

    def incr(self, *args, **kwargs):
        self._step()
        return super().incr(*args, **kwargs)


def _passed(scope: str) -> bool:
    try:
        throttle([scope], [(60, 1)])
    except Throttled:
        return False
    return True


@pytest.mark.parametrize("cut", range(1, 9))
def test_two_requests_interleaved_at_any_step_never_both_pass_a_limit_of_one(settings, cut):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": f"{__name__}.InterleavingCache",
            "LOCATION": f"interleaving-{uuid.uuid4().hex}",
        },
    }
    outcomes = []
    InterleavingCache.calls, InterleavingCache.cut = 0, cut
    InterleavingCache.interloper = lambda: outcomes.append(_passed("code-follower:1"))

    outcomes.append(_passed("code-follower:1"))
    second, InterleavingCache.interloper = InterleavingCache.interloper, None
    if second:  # the first request made fewer calls than `cut`: the second one comes after it
        second()

    assert sorted(outcomes) == [False, True]


def test_200_simultaneous_requests_pass_a_limit_of_one_once(settings):
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        # Redis in CI: the cache production runs on, with a prefix of this run's own.
        settings.CACHES = {
            **settings.CACHES,
            "throttle": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex},
        }
    barrier = threading.Barrier(200)
    outcomes = []

    def ask():
        barrier.wait()
        outcomes.append(_passed("code-alumnus:1"))

    threads = [threading.Thread(target=ask) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count(True) == 1 and len(outcomes) == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_code_requests_never_pass_the_limit(postgres_only, settings):
    # The configured cache (Redis in CI), with a prefix of this run's own.
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex},
    }
    settings.AUDIENCE_CODE_RATE_LIMITS = [(60, 1)]
    follower = FollowerFactory()
    alumnus = AlumnusFactory(email="zhang.wei@example.com")
    barrier = threading.Barrier(20)
    outcomes = []

    def ask():
        try:
            barrier.wait()
            binding_code_send(follower=follower, alumnus=alumnus, channel=Channel.EMAIL)
            outcomes.append("sent")
        except RateLimitedError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Each request counts per follower and per record: in a burst, a request may hold one count
    # while another holds the other, and both are refused. Never more than one goes out.
    sent = outcomes.count("sent")
    assert len(outcomes) == 20 and sent <= 1
    assert BindingCode.objects.filter(follower=follower).count() == sent
    assert len(mail.outbox) == sent


def test_record_requests_from_one_follower_stop_at_the_limit(client, settings):
    settings.AUDIENCE_REQUEST_RATE_LIMITS = [(86400, 2)]
    session = client.session
    session[SESSION_OPENID] = FollowerFactory().openid
    session.save()
    form = {"name": "张伟", "class_year": "2005", "phone": "13800138000", "note": "请建档"}

    responses = [client.post(reverse("audience:request"), form) for _ in range(5)]

    assert RecordRequest.objects.count() == 2
    assert responses[-1].status_code == 429
    assert "您已提交多次申请" in responses[-1].content.decode()


def _log_in(client, url, username, password, address=ATTACKER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def admin_login():
    return reverse("admin:login")


@pytest.fixture
def liaison_login():
    return reverse("liaison:login")


def test_admin_refuses_the_right_password_after_six_wrong_ones(client, admin_login):
    OfficeAdminFactory(username="officeadmin")
    for _ in range(6):
        _log_in(client, admin_login, "officeadmin", "guess-123456")

    response = _log_in(client, admin_login, "officeadmin", PASSWORD)

    assert not _logged_in(client)
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()


def test_liaison_portal_refuses_the_right_password_after_six_wrong_ones(client, liaison_login):
    LiaisonFactory(username="liaison")
    for _ in range(6):
        _log_in(client, liaison_login, "liaison", "guess-123456")

    response = _log_in(client, liaison_login, "liaison", PASSWORD)

    assert not _logged_in(client)
    assert response.status_code == 429
    page = response.content.decode()
    assert "尝试次数过多" in page and "分钟后再试" in page


def test_a_lockout_holds_one_username_from_one_address_only(client, admin_login):
    OfficeAdminFactory(username="officeadmin")
    for _ in range(6):
        _log_in(client, admin_login, "officeadmin", "guess-123456")

    _log_in(client, admin_login, "officeadmin", PASSWORD, address=OFFICE)

    assert _logged_in(client)


def test_one_address_cannot_try_password_after_password_across_usernames(
    client, admin_login, settings
):
    settings.LOGIN_IP_LIMITS = [(900, 5)]
    OfficeAdminFactory(username="officeadmin")
    for n in range(5):
        _log_in(client, admin_login, f"someone{n}", "guess-123456")

    response = _log_in(client, admin_login, "officeadmin", PASSWORD)

    assert not _logged_in(client)
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
