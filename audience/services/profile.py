"""What an alumnus changes on their own record, and erasure at their request."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from activities.models import Registration
from alumni.models import Alumnus, mask_email, mask_phone
from donations.models import Gift

from ..errors import RecordDeletedError
from ..models import BindingCode, Follower, ProfileChange, RecordRequest

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


def alumnus_erase(*, alumnus: Alumnus, user=None) -> Alumnus:
    """Delete a record at the alumnus's request, keeping the row for what points at it.

    Every personal field is erased, the follower unbound, gifts kept but anonymised, sign-ups
    anonymised, the values in the change log blanked and pending requests and codes deleted;
    `deleted_at` marks the record. `user` is the office user who erased it (None: the alumnus
    asked through the self-service page). Raises RecordDeletedError when it was already deleted.
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
        Registration.objects.filter(alumnus=alumnus).update(name=anonymous, phone="")
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
    logger.info("Alumnus %s erased at their request", alumnus.pk)
    return alumnus
