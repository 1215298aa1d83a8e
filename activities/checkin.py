"""Check-in at the door: a ticket's short code, checked once, however many doors scan at once.

A registration is checked in by one conditional UPDATE (`status = registered AND not yet checked
in`): the database applies it to one row at a time, so of two doors scanning the same ticket at
once exactly one changes the row and the other reads who was first. No lock is held while a
person waits at the door.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import one_line
from editorial.actors import SYSTEM, is_person

from .errors import CheckInError
from .models import CODE_ALPHABET, CODE_LENGTH, Activity, Registration, RegistrationStatus
from .signals import registration_checked_in

PERMISSION = "activities.check_in_registration"
DOOR_MAX_LENGTH = 40
_CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class Outcome:
    CHECKED_IN = "checked_in"  # checked in now
    ALREADY = "already"  # checked in before (the time and door are on the registration)
    WAITLISTED = "waitlisted"  # on the waitlist: no place, not checked in
    CANCELLED = "cancelled"  # the sign-up was cancelled
    ACTIVITY_CANCELLED = "activity_cancelled"  # the whole activity was cancelled
    OTHER_ACTIVITY = "other_activity"  # a ticket of another activity
    NOT_FOUND = "not_found"  # no ticket has this code
    INVALID = "invalid"  # not a ticket code at all


@dataclass(frozen=True)
class CheckInResult:
    """What a door is told about one scan. `registration` is None for an unknown code."""

    outcome: str
    registration: Registration | None = None
    code: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.CHECKED_IN


def normalize_code(text: str) -> str:
    """A typed or scanned code as stored: full-width characters made ASCII (NFKC), capitals,
    spaces and dashes dropped ("7kq3 -m9xa" → "7KQ3M9XA")."""
    return re.sub(r"[\s\-_.·]", "", unicodedata.normalize("NFKC", text or "")).upper()


def clean_door(door: str) -> str:
    """The door's name as stored: one line, at most DOOR_MAX_LENGTH characters. Raises
    CheckInError when it is empty."""
    door = one_line(door or "")[:DOOR_MAX_LENGTH]
    if not door:
        raise CheckInError(_("Name the door you are checking people in at."), code="door")
    return door


def _may_check_in(by) -> bool:
    return by is SYSTEM or (is_person(by) and by.has_perm(PERMISSION))


def registration_check_in(
    *, registration: Registration, door: str, by, now: datetime | None = None
) -> CheckInResult:
    """Check `registration` in at `door` (by a person with the check-in permission, or SYSTEM:
    a bound follower scanning the activity's WeChat code at the door).

    Only a registered sign-up is checked in, once; a second scan, from any door, answers
    ALREADY with the first check-in's time and door on the registration. Waitlisted and
    cancelled sign-ups and those of a cancelled activity are not checked in. Sends
    `registration_checked_in` after commit. Raises CheckInError (code "permission") without
    the permission, (code "door") without a door.
    """
    if not _may_check_in(by):
        raise CheckInError(_("You may not check people in."), code="permission")
    door = clean_door(door)
    now = now or timezone.now()
    activity = Activity.objects.only("cancelled_at").get(pk=registration.activity_id)
    if activity.cancelled_at is not None:
        registration.refresh_from_db()
        return CheckInResult(Outcome.ACTIVITY_CANCELLED, registration, registration.code)
    with transaction.atomic():
        changed = Registration.objects.filter(
            pk=registration.pk,
            status=RegistrationStatus.REGISTERED,
            checked_in_at__isnull=True,
        ).update(
            status=RegistrationStatus.ATTENDED,
            checked_in_at=now,
            checked_in_door=door,
            checked_in_by=by if is_person(by) else None,
            updated_at=now,
        )
        if changed:
            pk = registration.pk
            transaction.on_commit(
                lambda: registration_checked_in.send_robust(
                    sender=Registration, registration_id=pk
                ),
                robust=True,
            )
    registration = Registration.objects.select_related("activity").get(pk=registration.pk)
    if changed:
        outcome = Outcome.CHECKED_IN
    elif registration.status == RegistrationStatus.ATTENDED:
        outcome = Outcome.ALREADY
    elif registration.status == RegistrationStatus.WAITLISTED:
        outcome = Outcome.WAITLISTED
    else:
        outcome = Outcome.CANCELLED
    return CheckInResult(outcome, registration, registration.code)


def check_in_by_code(*, activity: Activity, code: str, door: str, by) -> CheckInResult:
    """Check in the ticket with the typed or scanned `code` for `activity` at `door`.

    An unknown code answers NOT_FOUND (INVALID when it cannot be a code), another activity's
    ticket OTHER_ACTIVITY (with that registration); otherwise as registration_check_in, which
    raises CheckInError.
    """
    if not _may_check_in(by):
        raise CheckInError(_("You may not check people in."), code="permission")
    clean_door(door)
    code = normalize_code(code)
    if not _CODE_RE.match(code):
        return CheckInResult(Outcome.INVALID, None, code[: CODE_LENGTH * 2])
    registration = Registration.objects.select_related("activity").filter(code=code).first()
    if registration is None:
        return CheckInResult(Outcome.NOT_FOUND, None, code)
    if registration.activity_id != activity.pk:
        return CheckInResult(Outcome.OTHER_ACTIVITY, registration, code)
    return registration_check_in(registration=registration, door=door, by=by)


def check_in_alumnus(*, activity_id: int, alumnus_id: int, door: str, by) -> CheckInResult:
    """Check in the sign-up of the alumnus `alumnus_id` for the activity (the WeChat side: a
    bound follower scanning the activity's channel code at the door). Their registered sign-up
    is checked in; without one, the latest other sign-up answers (waitlisted, cancelled) or
    NOT_FOUND. Raises CheckInError as registration_check_in."""
    registrations = Registration.objects.filter(activity_id=activity_id, alumnus_id=alumnus_id)
    registration = (
        registrations.filter(
            status__in=(RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)
        ).first()
        or registrations.order_by("-created_at", "-pk").first()
    )
    if registration is None:
        return CheckInResult(Outcome.NOT_FOUND)
    return registration_check_in(registration=registration, door=door, by=by)


def registrations_check_in_undo(*, registrations, by) -> int:
    """Take back the check-ins among `registrations` (a mistaken code at the door): they are
    registered again, without a time or door. Returns how many. Raises CheckInError without the
    check-in permission."""
    if not _may_check_in(by) or by is SYSTEM:
        raise CheckInError(_("You may not check people in."), code="permission")
    return registrations.filter(status=RegistrationStatus.ATTENDED).update(
        status=RegistrationStatus.REGISTERED,
        checked_in_at=None,
        checked_in_door="",
        checked_in_by=None,
        updated_at=timezone.now(),
    )
