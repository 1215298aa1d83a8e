"""Tickets and check-in at the door: each confirmed sign-up has a ticket (a QR code of a short
code) on its page; staff with the check-in permission scan or type it on their phone and see at
once who it is, or that the person came in already (when and at which door); several doors
at once count nobody twice; a printed list is the fallback."""

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from activities.checkin import (
    Outcome,
    check_in_by_code,
    normalize_code,
    registration_check_in,
)
from activities.errors import CheckInError
from activities.models import CODE_ALPHABET, Registration, RegistrationStatus, new_ticket_code
from activities.services import registration_token
from activities.signals import check_in_requested, registration_checked_in
from editorial.actors import SYSTEM
from tests.factories import (
    ActivityFactory,
    AlumnusFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = RegistrationStatus.REGISTERED


@pytest.fixture
def door_staff(db):
    """A staff member whose only right is checking people in."""
    user = UserFactory(username="door", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="check_in_registration"))
    return user


@pytest.fixture
def activity():
    return ActivityFactory(state="published", title="北京校友年会")


def _checkin_url(activity, door="北门"):
    url = reverse("admin:activities_activity_checkin", args=[activity.pk])
    return f"{url}?door={door}" if door else url


# The ticket


def test_every_sign_up_gets_a_short_code_from_the_unambiguous_alphabet():
    codes = {RegistrationFactory().code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 8 and set(code) <= set(CODE_ALPHABET) for code in codes)


def test_the_ticket_page_of_a_confirmed_sign_up_shows_the_qr_code_and_the_code(client):
    registration = RegistrationFactory(status=REGISTERED)
    token = registration_token(registration=registration)
    response = client.get(reverse("activities:registration", args=[token]))
    html = response.content.decode()
    assert 'id="ticket"' in html
    assert "<svg" in html
    assert f"{registration.code[:4]} {registration.code[4:]}" in html


def test_a_waitlisted_sign_up_has_no_ticket(client):
    registration = RegistrationFactory(status=RegistrationStatus.WAITLISTED)
    token = registration_token(registration=registration)
    response = client.get(reverse("activities:registration", args=[token]))
    assert 'id="ticket"' not in response.content.decode()


# The service


def test_checking_in_a_registered_sign_up_records_time_door_and_person(activity, door_staff):
    registration = RegistrationFactory(activity=activity)
    result = registration_check_in(registration=registration, door="北门", by=door_staff)
    registration.refresh_from_db()
    assert result.outcome == Outcome.CHECKED_IN
    assert registration.status == RegistrationStatus.ATTENDED
    assert registration.checked_in_door == "北门"
    assert registration.checked_in_by == door_staff
    assert registration.checked_in_at is not None


def test_a_second_scan_at_another_door_says_when_and_where_the_first_was(activity, door_staff):
    registration = RegistrationFactory(activity=activity)
    registration_check_in(registration=registration, door="北门", by=door_staff)
    result = registration_check_in(registration=registration, door="南门", by=door_staff)
    assert result.outcome == Outcome.ALREADY
    assert result.registration.checked_in_door == "北门"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (RegistrationStatus.WAITLISTED, Outcome.WAITLISTED),
        (RegistrationStatus.CANCELLED, Outcome.CANCELLED),
    ],
)
def test_waitlisted_and_cancelled_sign_ups_are_not_checked_in(
    activity, door_staff, status, outcome
):
    registration = RegistrationFactory(activity=activity, status=status)
    result = registration_check_in(registration=registration, door="北门", by=door_staff)
    registration.refresh_from_db()
    assert result.outcome == outcome
    assert registration.status == status
    assert registration.checked_in_at is None


def test_nobody_is_checked_in_for_a_cancelled_activity(door_staff):
    activity = ActivityFactory(state="published", cancelled_at=timezone.now())
    registration = RegistrationFactory(activity=activity)
    result = registration_check_in(registration=registration, door="北门", by=door_staff)
    registration.refresh_from_db()
    assert result.outcome == Outcome.ACTIVITY_CANCELLED
    assert registration.status == REGISTERED


def test_a_code_is_read_as_people_type_it(activity, door_staff):
    registration = RegistrationFactory(activity=activity)
    typed = " ".join([registration.code[:4].lower(), registration.code[4:]])
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in typed.replace(" ", ""))
    assert normalize_code(typed) == registration.code
    assert normalize_code(full_width) == registration.code
    result = check_in_by_code(activity=activity, code=typed, door="北门", by=door_staff)
    assert result.outcome == Outcome.CHECKED_IN


def test_another_activitys_ticket_is_refused_and_named(activity, door_staff):
    other = RegistrationFactory(activity=ActivityFactory(title="上海分会读书会"))
    result = check_in_by_code(activity=activity, code=other.code, door="北门", by=door_staff)
    other.refresh_from_db()
    assert result.outcome == Outcome.OTHER_ACTIVITY
    assert other.status == REGISTERED


def test_unknown_and_malformed_codes_answer_without_an_error(activity, door_staff):
    assert (
        check_in_by_code(activity=activity, code="ZZZZ2222", door="北门", by=door_staff).outcome
        == Outcome.NOT_FOUND
    )
    assert (
        check_in_by_code(activity=activity, code="' OR 1=1 --", door="北门", by=door_staff).outcome
        == Outcome.INVALID
    )


def test_someone_without_the_permission_cannot_check_in(activity):
    registration = RegistrationFactory(activity=activity)
    clerk = UserFactory(is_staff=True)
    with pytest.raises(CheckInError):
        registration_check_in(registration=registration, door="北门", by=clerk)
    registration.refresh_from_db()
    assert registration.status == REGISTERED


def test_a_door_must_be_named(activity, door_staff):
    registration = RegistrationFactory(activity=activity)
    with pytest.raises(CheckInError):
        registration_check_in(registration=registration, door="  ", by=door_staff)


def test_a_check_in_is_announced_once_after_commit(
    activity, door_staff, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(activity=activity)
    heard = []

    def listener(sender, registration_id, **kwargs):
        heard.append(registration_id)

    registration_checked_in.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            registration_check_in(registration=registration, door="北门", by=door_staff)
            registration_check_in(registration=registration, door="南门", by=door_staff)
    finally:
        registration_checked_in.disconnect(listener)
    assert heard == [registration.pk]


def test_a_wechat_scan_at_the_door_checks_the_bound_alumnus_in(activity):
    alumnus = AlumnusFactory()
    registration = RegistrationFactory(activity=activity, alumnus=alumnus)
    [(_receiver, result)] = [
        answer
        for answer in check_in_requested.send(
            sender=None, activity_id=activity.pk, alumnus_id=alumnus.pk, door="微信扫码"
        )
        if answer[1] is not None
    ]
    registration.refresh_from_db()
    assert result.outcome == Outcome.CHECKED_IN
    assert registration.checked_in_door == "微信扫码"
    assert registration.checked_in_by is None


def test_the_system_may_check_in_but_an_anonymous_user_may_not(activity):
    from django.contrib.auth.models import AnonymousUser

    registration = RegistrationFactory(activity=activity)
    with pytest.raises(CheckInError):
        registration_check_in(registration=registration, door="北门", by=AnonymousUser())
    assert (
        registration_check_in(registration=registration, door="北门", by=SYSTEM).outcome
        == Outcome.CHECKED_IN
    )


# The door's page


def test_the_check_in_page_is_refused_without_the_permission(client, activity):
    client.force_login(UserFactory(is_staff=True))
    response = client.get(_checkin_url(activity))
    assert response.status_code == 403


def test_the_check_in_page_first_asks_for_the_door(client, door_staff, activity):
    client.force_login(door_staff)
    response = client.get(_checkin_url(activity, door=""))
    assert 'id="door-form"' in response.content.decode()


def test_a_typed_code_shows_name_class_year_and_status(client, door_staff, activity):
    registration = RegistrationFactory(activity=activity, name="林晓舟", class_year=2008)
    client.force_login(door_staff)
    response = client.post(_checkin_url(activity), {"door": "北门", "code": registration.code})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="checked_in"' in html
    assert "林晓舟" in html and "2008" in html
    assert "已签到" in html


def test_a_duplicate_scan_shows_the_time_and_door_of_the_first(client, door_staff, activity):
    registration = RegistrationFactory(activity=activity)
    first = timezone.now().replace(hour=2, minute=2)  # 10:02 in Shanghai
    registration_check_in(registration=registration, door="北门", by=door_staff, now=first)
    client.force_login(door_staff)
    response = client.post(
        _checkin_url(activity, "南门"), {"door": "南门", "code": registration.code}
    )
    html = response.content.decode()
    assert 'data-outcome="already"' in html
    assert "10:02" in html and "北门" in html


def test_the_page_script_gets_json_with_the_result_fragment(client, door_staff, activity):
    registration = RegistrationFactory(activity=activity)
    client.force_login(door_staff)
    response = client.post(
        _checkin_url(activity),
        {"door": "北门", "code": registration.code},
        headers={"Accept": "application/json"},
    )
    answer = response.json()
    assert answer["outcome"] == Outcome.CHECKED_IN
    assert answer["checked_in"] == 1
    assert registration.name in answer["html"]


def test_a_huge_or_odd_code_gets_a_message_not_an_error(client, door_staff, activity):
    client.force_login(door_staff)
    response = client.post(_checkin_url(activity), {"door": "北门", "code": "码" * 100_000})
    assert response.status_code == 200
    assert 'data-outcome="invalid"' in response.content.decode()


def test_a_post_without_a_door_gets_a_message(client, door_staff, activity):
    registration = RegistrationFactory(activity=activity)
    client.force_login(door_staff)
    response = client.post(_checkin_url(activity, door=""), {"code": registration.code})
    registration.refresh_from_db()
    assert response.status_code == 200
    assert registration.status == REGISTERED


# The printed list


def test_the_printed_list_is_sorted_by_family_name_pinyin(client, door_staff, activity):
    for name in ("张三", "曾国藩", "安然", "陈一"):
        RegistrationFactory(activity=activity, name=name)
    RegistrationFactory(activity=activity, name="候补甲", status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(activity=activity, name="取消乙", status=RegistrationStatus.CANCELLED)
    client.force_login(door_staff)
    response = client.get(reverse("admin:activities_activity_checkin_sheet", args=[activity.pk]))
    places = [r.name for r in response.context["sheet"]["places"]]
    assert places == ["安然", "陈一", "曾国藩", "张三"]  # 曾 as a surname: zeng
    assert [r.name for r in response.context["sheet"]["waitlist"]] == ["候补甲"]
    assert "取消乙" not in response.content.decode()


def test_the_printed_list_can_be_sorted_by_name_as_written(client, door_staff, activity):
    for name in ("张三", "安然"):
        RegistrationFactory(activity=activity, name=name)
    client.force_login(door_staff)
    url = reverse("admin:activities_activity_checkin_sheet", args=[activity.pk])
    response = client.get(url + "?order=name")
    assert [r.name for r in response.context["sheet"]["places"]] == sorted(["张三", "安然"])


def test_the_printed_list_is_refused_without_the_permission(client, activity):
    client.force_login(UserFactory(is_staff=True))
    url = reverse("admin:activities_activity_checkin_sheet", args=[activity.pk])
    assert client.get(url).status_code == 403


# Several doors at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_thousand_people_through_four_doors_at_once_are_each_counted_once(postgres_only):
    activity = ActivityFactory(state="published", capacity=None)
    staff = UserFactory(username="doors", is_superuser=True, is_staff=True)
    unique_codes = set()
    while len(unique_codes) < 1000:
        unique_codes.add(new_ticket_code())
    Registration.objects.bulk_create(
        Registration(
            activity=activity, name=f"校友{n}", class_year=2000, phone=f"139{n:08d}", code=code
        )
        for n, code in enumerate(sorted(unique_codes))
    )
    codes = list(Registration.objects.filter(activity=activity).values_list("code", flat=True))
    assert len(set(codes)) == 1000
    barrier = threading.Barrier(4)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    errors = []

    def door(name):
        mine = codes[:]
        random.Random(name).shuffle(mine)
        seen = Counter()
        try:
            barrier.wait()
            for code in mine:
                result = check_in_by_code(activity=activity, code=code, door=name, by=staff)
                seen[result.outcome] += 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()
        with lock:
            outcomes.update(seen)

    threads = [threading.Thread(target=door, args=(f"门{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes == {Outcome.CHECKED_IN: 1000, Outcome.ALREADY: 3000}
    rows = Registration.objects.filter(activity=activity)
    assert rows.filter(status=RegistrationStatus.ATTENDED).count() == 1000
    assert rows.filter(checked_in_at__isnull=True).count() == 0
    assert timezone.now() - rows.order_by("checked_in_at").first().checked_in_at < timedelta(
        minutes=5
    )


# Taking a check-in back


def test_a_mistaken_check_in_can_be_taken_back_in_the_admin(admin_client, activity, door_staff):
    registration = RegistrationFactory(activity=activity)
    registration_check_in(registration=registration, door="北门", by=door_staff)

    admin_client.post(
        reverse("admin:activities_registration_changelist"),
        {"action": "undo_check_in", "_selected_action": [registration.pk]},
    )

    registration.refresh_from_db()
    assert (registration.status, registration.checked_in_at, registration.checked_in_door) == (
        REGISTERED,
        None,
        "",
    )
    again = registration_check_in(registration=registration, door="南门", by=door_staff)
    assert again.outcome == Outcome.CHECKED_IN


def test_taking_a_check_in_back_needs_the_check_in_permission(activity, door_staff):
    from activities.checkin import registrations_check_in_undo

    registration = RegistrationFactory(activity=activity)
    registration_check_in(registration=registration, door="北门", by=door_staff)
    with pytest.raises(CheckInError):
        registrations_check_in_undo(
            registrations=Registration.objects.all(), by=UserFactory(is_staff=True)
        )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ATTENDED


# Where a door's phone starts


def test_a_volunteer_with_only_the_check_in_permission_finds_the_activity(client, door_staff):
    starts = timezone.now() + timedelta(hours=2)
    soon = ActivityFactory(
        state="published", title="校友返校日", starts_at=starts, announced_starts_at=starts
    )
    ActivityFactory(
        state="published", title="明年的活动", starts_at=timezone.now() + timedelta(days=300)
    )
    ActivityFactory(state="draft", title="还在写的活动")
    client.force_login(door_staff)

    home = client.get(reverse("admin:index")).content.decode()
    start = reverse("admin:activities_activity_checkin_start")
    assert start in home
    page = client.get(start).content.decode()
    assert reverse("admin:activities_activity_checkin", args=[soon.pk]) in page
    assert "明年的活动" not in page and "还在写的活动" not in page


def test_the_start_page_is_refused_without_the_permission(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:activities_activity_checkin_start")).status_code == 403


def test_the_printed_list_costs_the_same_queries_for_more_people(
    client, door_staff, activity, queries_for
):
    client.force_login(door_staff)
    url = reverse("admin:activities_activity_checkin_sheet", args=[activity.pk])
    RegistrationFactory(activity=activity)
    few = queries_for(url)
    for _ in range(10):
        RegistrationFactory(activity=activity)
    RegistrationFactory(activity=activity, status=RegistrationStatus.WAITLISTED)
    assert queries_for(url) == few
