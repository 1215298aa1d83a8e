"""Sign-ups for activities: taking a place or a waitlist spot, and giving it back."""

import logging
import math
import re

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.throttle import Throttled, throttle
from editorial.models import State

from .errors import SignupError
from .models import Activity, Registration, RegistrationStatus
from .selectors import HOLDING_PLACE, TOKEN_SALT, signup_closes_at
from .signals import registration_cancelled, registration_created, registration_promoted

logger = logging.getLogger(__name__)

MOBILE_RE = re.compile(r"^1\d{10}$")


def signup_throttle(*, client: str = "", phone: str = "") -> None:
    """Count a sign-up attempt from the address `client` and/or for the number `phone`.

    Anyone can fill an activity or its waitlist, so both are held to limits
    (ACTIVITIES_SIGNUP_IP_LIMITS, ACTIVITIES_SIGNUP_PHONE_LIMITS). Raises SignupError with
    code "throttled" and a message saying how long to wait once either is spent.
    """
    try:
        if client:
            throttle([f"signup-ip:{client}"], settings.ACTIVITIES_SIGNUP_IP_LIMITS)
        if phone:
            throttle([f"signup-phone:{phone}"], settings.ACTIVITIES_SIGNUP_PHONE_LIMITS)
    except Throttled as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        if client:
            message = _(
                "Too many sign-ups from your network. Please try again in %(minutes)d minutes."
            )
        else:
            message = _(
                "Too many sign-ups with this phone number. Please try again in %(minutes)d minutes."
            )
        raise SignupError(message % {"minutes": minutes}, code="throttled") from None


def _announce(signal, registration_id: int) -> None:
    """Send `signal` for the registration once the current transaction commits.

    A failing listener (a mail server or WeChat down, a bug) is logged, never raised: the
    sign-up or cancellation it follows has happened and the page must say so.
    """

    def send():
        for _receiver, result in signal.send_robust(
            sender=Registration, registration_id=registration_id
        ):
            if isinstance(result, Exception):
                logger.error(
                    "A listener of a registration signal failed (registration %s): %r",
                    registration_id,
                    result,
                    exc_info=result,
                )

    transaction.on_commit(send, robust=True)


def registration_create(
    *,
    activity: Activity,
    name: str,
    class_year: int,
    phone: str,
    email: str = "",
    alumnus_id: int | None = None,
    answers: dict | None = None,
) -> Registration:
    """Sign someone up for a published activity and return the new registration.

    `email` (optional) is where the confirmation goes; `alumnus_id` links the sign-up to the
    alumni record of a visitor known to be its owner (a bound WeChat follower), through which
    the confirmation also reaches them in WeChat; `answers` are the answers to the activity's
    own questions, {question id: stored answer} (core.questions). Sends `registration_created`
    after commit.

    The registration is REGISTERED while places are left (or there is no limit), WAITLISTED
    once the activity is full and keeps a waitlist. Raises SignupError when the activity is not
    published, sign-up has closed (the deadline, else the start), the activity is full without a
    waitlist, the phone number is not a mainland mobile number or it already holds a sign-up
    that was not cancelled, or the number has signed up too often (code "throttled", see
    signup_throttle). Nothing is saved when it raises.
    """
    if not MOBILE_RE.match(phone):
        raise SignupError(
            _("Enter a valid mainland China mobile number (11 digits starting with 1)."),
            code="phone",
        )
    signup_throttle(phone=phone)
    with transaction.atomic():
        # The row lock serialises sign-ups for one activity: two people asking for the last
        # place at once get one place and one waitlist spot (or one "full"), never two places.
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.state != State.PUBLISHED:
            raise SignupError(_("This activity is not open for sign-up."), code="not_published")
        if activity.cancelled_at is not None:
            raise SignupError(_("This activity has been cancelled."), code="cancelled")
        if timezone.now() > signup_closes_at(activity):
            raise SignupError(_("Sign-up for this activity has closed."), code="closed")
        taken = Registration.objects.filter(activity=activity)
        if taken.filter(phone=phone).exclude(status=RegistrationStatus.CANCELLED).exists():
            raise SignupError(
                _("This phone number has already signed up for this activity."),
                code="duplicate",
            )
        status = RegistrationStatus.REGISTERED
        if (
            activity.capacity is not None
            and taken.filter(status__in=HOLDING_PLACE).count() >= activity.capacity
        ):
            if not activity.waitlist_enabled:
                raise SignupError(_("This activity is full."), code="full")
            status = RegistrationStatus.WAITLISTED
        registration = Registration.objects.create(
            activity=activity,
            name=name,
            class_year=class_year,
            phone=phone,
            email=email,
            alumnus_id=alumnus_id,
            status=status,
            answers=answers or {},
        )
        _announce(registration_created, registration.pk)
        return registration


def registration_cancel(*, registration: Registration) -> Registration:
    """Cancel a sign-up; when it held a place, give free places to the waitlist, first come first.

    Cancelling a cancelled registration changes nothing. Raises SignupError for a registration
    already marked as attended. Sends `registration_cancelled`, and `registration_promoted` for
    each sign-up that moved up, after commit.
    """
    with transaction.atomic():
        # Lock the activity first, in the same order as registration_create, so a cancellation
        # and a sign-up never both count the same free place.
        activity = Activity.objects.select_for_update().get(pk=registration.activity_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == RegistrationStatus.CANCELLED:
            return registration
        if registration.status == RegistrationStatus.ATTENDED:
            raise SignupError(
                _("This sign-up cannot be cancelled: attendance is recorded."), code="attended"
            )
        held_place = registration.status == RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        _announce(registration_cancelled, registration.pk)
        if held_place and activity.capacity is not None:
            for promoted in _promote_waitlisted(activity):
                _announce(registration_promoted, promoted.pk)
        return registration


def registrations_mark_attended(*, registrations) -> tuple[int, int]:
    """Record attendance for the registered sign-ups among `registrations`.

    Waitlisted and cancelled ones are left as they are. Returns (marked, skipped).
    """
    now = timezone.now()
    marked = registrations.filter(status=RegistrationStatus.REGISTERED).update(
        status=RegistrationStatus.ATTENDED, checked_in_at=now, updated_at=now
    )
    return marked, registrations.count() - marked


def waitlist_fill(*, activity_id: int) -> list[Registration]:
    """Give the places an activity has free (its capacity was raised, or made unlimited) to its
    waitlist, first come first; return who moved up (each gets `registration_promoted`)."""
    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
        if activity is None or activity.cancelled_at is not None:
            return []
        if activity.capacity is None:
            promoted = list(
                Registration.objects.filter(
                    activity=activity, status=RegistrationStatus.WAITLISTED
                ).order_by("created_at", "pk")
            )
            for waiting in promoted:
                waiting.status = RegistrationStatus.REGISTERED
                waiting.save(update_fields=["status", "updated_at"])
        else:
            promoted = _promote_waitlisted(activity)
        for registration in promoted:
            _announce(registration_promoted, registration.pk)
        return promoted


def _promote_waitlisted(activity: Activity) -> list[Registration]:
    """Fill the activity's free places from its waitlist, earliest sign-up first; return the
    sign-ups that moved up."""
    registrations = Registration.objects.filter(activity=activity)
    free = activity.capacity - registrations.filter(status__in=HOLDING_PLACE).count()
    if free <= 0:
        return []
    first_in_line = list(
        registrations.filter(status=RegistrationStatus.WAITLISTED).order_by("created_at", "pk")[
            :free
        ]
    )
    for waiting in first_in_line:
        waiting.status = RegistrationStatus.REGISTERED
        waiting.save(update_fields=["status", "updated_at"])
    return first_in_line


def registration_token(*, registration: Registration) -> str:
    """A signed token naming `registration`, for the link that lets its owner see or cancel it.

    Anyone holding the link can cancel, as with a ticket; no account is needed.
    """
    return signing.dumps(registration.pk, salt=TOKEN_SALT)
