import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from activities.errors import SignupError
from activities.models import Registration, RegistrationStatus
from activities.selectors import waitlist_position
from activities.services import registration_cancel, registration_create
from editorial.models import State
from tests.factories import ActivityFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

REGISTERED = RegistrationStatus.REGISTERED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


def _signup(activity, phone="13800138000", name="张三"):
    return registration_create(activity=activity, name=name, class_year=2010, phone=phone)


def test_signup_takes_a_place_while_places_are_left():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=2)

    registration = _signup(activity)

    assert registration.status == REGISTERED
    assert Registration.objects.get().phone == "13800138000"


def test_signup_takes_a_place_when_the_activity_has_no_limit():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=None)
    RegistrationFactory.create_batch(3, activity=activity)

    assert _signup(activity).status == REGISTERED


def test_signup_for_a_full_activity_with_a_waitlist_goes_on_the_waitlist():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1, waitlist_enabled=True)
    _signup(activity, phone="13800000001")

    registration = _signup(activity, phone="13800000002")

    assert registration.status == WAITLISTED
    assert waitlist_position(registration) == 1


def test_a_cancelled_registration_frees_its_place():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1)
    RegistrationFactory(activity=activity, status=CANCELLED)

    assert _signup(activity).status == REGISTERED


def test_signup_for_a_full_activity_without_a_waitlist_is_refused():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1, waitlist_enabled=False)
    RegistrationFactory(activity=activity)

    with pytest.raises(SignupError) as error:
        _signup(activity)

    assert error.value.code == "full"
    assert Registration.objects.count() == 1


def test_signup_after_the_deadline_is_refused():
    activity = ActivityFactory(
        state=State.PUBLISHED, signup_deadline=timezone.now() - timedelta(minutes=1)
    )

    with pytest.raises(SignupError) as error:
        _signup(activity)

    assert error.value.code == "closed"
    assert not Registration.objects.exists()


def test_signup_without_a_deadline_closes_when_the_activity_starts():
    activity = ActivityFactory(
        state=State.PUBLISHED,
        starts_at=timezone.now() - timedelta(minutes=1),
        signup_deadline=None,
    )

    with pytest.raises(SignupError) as error:
        _signup(activity)

    assert error.value.code == "closed"


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.WITHDRAWN])
def test_signup_for_an_unpublished_activity_is_refused(state):
    activity = ActivityFactory(state=state)

    with pytest.raises(SignupError) as error:
        _signup(activity)

    assert error.value.code == "not_published"
    assert not Registration.objects.exists()


def test_signup_with_a_phone_already_signed_up_is_refused():
    activity = ActivityFactory(state=State.PUBLISHED)
    _signup(activity, phone="13900000000", name="李四")

    with pytest.raises(SignupError) as error:
        _signup(activity, phone="13900000000", name="李四的同学")

    assert error.value.code == "duplicate"
    assert Registration.objects.count() == 1


def test_signup_with_a_phone_whose_sign_up_was_cancelled_is_accepted():
    activity = ActivityFactory(state=State.PUBLISHED)
    RegistrationFactory(activity=activity, phone="13900000000", status=CANCELLED)

    assert _signup(activity, phone="13900000000").status == REGISTERED


def test_the_same_phone_may_sign_up_for_two_activities():
    _signup(ActivityFactory(state=State.PUBLISHED), phone="13900000000")

    assert _signup(ActivityFactory(state=State.PUBLISHED), phone="13900000000").status == REGISTERED


@pytest.mark.parametrize("phone", ["", "1380013800", "23800138000", "138001380001", "1380013800x"])
def test_signup_with_a_phone_that_is_not_a_mainland_mobile_number_is_refused(phone):
    activity = ActivityFactory(state=State.PUBLISHED)

    with pytest.raises(SignupError) as error:
        _signup(activity, phone=phone)

    assert error.value.code == "phone"
    assert not Registration.objects.exists()


def test_cancelling_a_place_promotes_the_earliest_waitlisted():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1)
    holder = _signup(activity, phone="13800000001")
    first = _signup(activity, phone="13800000002")
    second = _signup(activity, phone="13800000003")

    registration_cancel(registration=holder)

    holder.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (holder.status, first.status, second.status) == (CANCELLED, REGISTERED, WAITLISTED)
    assert waitlist_position(second) == 1


def test_cancelling_a_waitlist_spot_promotes_nobody():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1)
    _signup(activity, phone="13800000001")
    first = _signup(activity, phone="13800000002")
    second = _signup(activity, phone="13800000003")

    registration_cancel(registration=first)

    second.refresh_from_db()
    assert second.status == WAITLISTED


def test_cancelling_twice_changes_nothing_the_second_time():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1)
    holder = _signup(activity, phone="13800000001")
    waiting = _signup(activity, phone="13800000002")
    registration_cancel(registration=holder)
    late = _signup(activity, phone="13800000003")

    registration_cancel(registration=holder)

    late.refresh_from_db()
    waiting.refresh_from_db()
    assert (waiting.status, late.status) == (REGISTERED, WAITLISTED)


def test_a_registration_marked_attended_cannot_be_cancelled():
    registration = RegistrationFactory(status=RegistrationStatus.ATTENDED)

    with pytest.raises(SignupError):
        registration_cancel(registration=registration)

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ATTENDED


def test_waitlist_position_counts_those_ahead_in_line():
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1)
    _signup(activity, phone="13800000001")
    waiting = [_signup(activity, phone=f"1380000001{n}") for n in range(3)]

    assert [waitlist_position(r) for r in waiting] == [1, 2, 3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_for_the_last_place_give_it_to_one(postgres_only):
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1, waitlist_enabled=False)
    barrier = threading.Barrier(6)
    outcomes = []

    def sign_up(n):
        try:
            barrier.wait()
            outcomes.append(_signup(activity, phone=f"1380000000{n}").status)
        except SignupError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["full"] * 5 + [REGISTERED]
    assert Registration.objects.filter(activity=activity).count() == 1
