"""What an alumnus changes on their own record, and erasure at their request."""

import contextlib
import logging
import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from activities.errors import SignupError
from activities.models import Registration, RegistrationStatus
from activities.services import registration_cancel
from alumni.models import AlumniProfile, Alumnus, mask_email, mask_phone
from donations.models import Gift
from surveys.models import Response

from ..errors import RecordDeletedError
from ..models import BindingCode, Follower, ProfileChange, RecordLabel, RecordRequest

logger = logging.getLogger(__name__)

# The fields an alumnus may change themselves; contact details are logged masked.
SELF_SERVICE_FIELDS = ("phone", "email", "city", "employer", "visible_to_classmates")
MASKS = {"phone": mask_phone, "email": mask_email}
DELETION_FIELD = "deleted"


def _shown(field: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return MASKS.get(field, str)(value or "")[:255]


def profile_update(
    *, alumnus: Alumnus, changes: dict, follower: Follower | None = None, user=None
) -> list[ProfileChange]:
    """Apply `changes` (field -> new value) to the self-service fields of the record.

    Writes one ProfileChange per field whose value changed (contact details masked) and
    returns them. Raises ValueError for a field outside SELF_SERVICE_FIELDS and
    RecordDeletedError for a deleted record.
    """
    unknown = set(changes) - set(SELF_SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"not self-service fields: {sorted(unknown)}")
    with transaction.atomic():
        alumnus = Alumnus.objects.select_for_update().get(pk=alumnus.pk)
        if alumnus.deleted_at is not None:
            raise RecordDeletedError
        logged = []
        for field, value in changes.items():
            old = getattr(alumnus, field)
            if isinstance(value, str):
                value = value.strip()
            if old == value:
                continue
            setattr(alumnus, field, value)
            logged.append(
                ProfileChange(
                    alumnus=alumnus,
                    follower=follower,
                    user=user,
                    field=field,
                    old_value=_shown(field, old),
                    new_value=_shown(field, value),
                )
            )
        if logged:
            alumnus.save(update_fields=[c.field for c in logged] + ["updated_at"])
            ProfileChange.objects.bulk_create(logged)
    if logged:
        logger.info("Alumnus %s changed %s", alumnus.pk, ", ".join(sorted(c.field for c in logged)))
    return logged


def _signups_of(alumnus: Alumnus):
    """The sign-ups of the record: linked to it, or made on the public form with its phone
    number (the form asks for no more, so the number is what ties a sign-up to a person)."""
    mine = Q(alumnus=alumnus)
    phone = re.sub(r"[\s-]", "", alumnus.phone or "").removeprefix("+86")
    if phone:
        mine |= Q(phone=phone)
    return Registration.objects.filter(mine)


def _erase_signups(alumnus: Alumnus, *, anonymous: str) -> int:
    """Cancel the record's sign-ups for activities not started yet (a waitlisted person moves
    up; a place held by nobody anyone can reach helps no one), then blank the name, phone and
    e-mail of all of them. The rows stay, so each activity's figures (places taken, attendance)
    keep their counts. Returns how many sign-ups were anonymised."""
    signups = _signups_of(alumnus)
    upcoming = signups.filter(activity__starts_at__gt=timezone.now()).exclude(
        status__in=(RegistrationStatus.CANCELLED, RegistrationStatus.ATTENDED)
    )
    for registration in upcoming.select_related("activity"):
        # Attendance recorded meanwhile: that sign-up stays, anonymised.
        with contextlib.suppress(SignupError):
            registration_cancel(registration=registration)
    return signups.update(name=anonymous, phone="", email="")


def _erase_profiles(alumnus: Alumnus) -> int:
    """Delete the alumni-style stories (校友风采) about the record, published or not.

    A story about a person is their personal data through and through (name, portrait, life),
    so it is not merely withdrawn: the row goes, with its revisions, review comments and audit
    entries (generic relations), and its cover file once the deletion is committed. Returns how
    many were deleted.
    """
    profiles = list(AlumniProfile.objects.filter(alumnus=alumnus))
    covers = [p.cover for p in profiles if p.cover]
    for profile in profiles:
        profile.delete()
    for cover in covers:
        transaction.on_commit(lambda cover=cover: cover.storage.delete(cover.name))
    return len(profiles)


def alumnus_erase(*, alumnus: Alumnus, user=None) -> Alumnus:
    """Delete a record at the alumnus's request, keeping the row for what points at it.

    Every personal field is erased, the follower unbound, gifts kept but anonymised, sign-ups
    (linked to the record or made with its phone number) anonymised and the upcoming ones
    cancelled, alumni-style stories about the alumnus deleted, the values in the change log
    blanked and pending requests and codes deleted; `deleted_at` marks the record. `user` is the
    office user who erased it (None: the alumnus asked through the self-service page). Raises
    RecordDeletedError when it was already deleted.
    """
    anonymous = gettext("Anonymous alumnus")
    with transaction.atomic():
        alumnus = Alumnus.objects.select_for_update().get(pk=alumnus.pk)
        if alumnus.deleted_at is not None:
            raise RecordDeletedError
        bound = Follower.objects.filter(alumnus=alumnus).first()
        if bound is not None:
            RecordRequest.objects.filter(follower=bound).delete()
            bound.alumnus = None
            bound.bound_at = None
            bound.remark = ""
            bound.nickname = ""
            bound.save(update_fields=["alumnus", "bound_at", "remark", "nickname"])
        BindingCode.objects.filter(alumnus=alumnus).delete()
        Gift.objects.filter(donor_alumnus=alumnus).update(
            donor_name=anonymous, anonymous=True, message=""
        )
        # Labels describe the person; survey answers stay in the results, no longer theirs.
        RecordLabel.objects.filter(alumnus=alumnus).delete()
        Response.objects.filter(alumnus=alumnus).update(alumnus=None)
        signups = _erase_signups(alumnus, anonymous=anonymous)
        profiles = _erase_profiles(alumnus)
        # Blank the values, and the follower too: an openid tied to the record is personal data.
        ProfileChange.objects.filter(alumnus=alumnus).update(
            old_value="", new_value="", follower=None
        )
        for field, value in {
            "name": "",
            "gender": "",
            "college": "",
            "major": "",
            "city": "",
            "employer": "",
            "phone": "",
            "email": "",
            "notes": "",
            "wechat_openid": None,
            "branch": None,
            "visible_to_classmates": False,
        }.items():
            setattr(alumnus, field, value)
        alumnus.deleted_at = timezone.now()
        alumnus.save()
        ProfileChange.objects.create(alumnus=alumnus, user=user, field=DELETION_FIELD)
    logger.info(
        "Alumnus %s erased at their request (%s sign-ups anonymised, %s stories deleted)",
        alumnus.pk,
        signups,
        profiles,
    )
    return alumnus
