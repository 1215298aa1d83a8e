"""Labels on alumni records ("愿意担任导师"): set by the office or by a survey answer."""

import logging

from django.db import transaction

from alumni.models import Alumnus

from ..errors import RecordDeletedError
from ..models import Follower, ProfileChange, RecordLabel

logger = logging.getLogger(__name__)
LABEL_FIELD = "label"


def record_labels_update(
    *, alumnus: Alumnus, add=(), remove=(), follower: Follower | None = None, user=None
) -> list[ProfileChange]:
    """Put the labels `add` on the record and take `remove` off it.

    Each label that actually came or went leaves a ProfileChange (field "label", the label as
    the new or the old value), so the record's change log says who set it and when. Raises
    RecordDeletedError for a deleted record.
    """
    with transaction.atomic():
        alumnus = Alumnus.objects.select_for_update().get(pk=alumnus.pk)
        if alumnus.deleted_at is not None:
            raise RecordDeletedError
        have = set(RecordLabel.objects.filter(alumnus=alumnus).values_list("name", flat=True))
        new = [name for name in dict.fromkeys(add) if name and name not in have]
        gone = [name for name in dict.fromkeys(remove) if name in have and name not in add]
        RecordLabel.objects.bulk_create([RecordLabel(alumnus=alumnus, name=n) for n in new])
        RecordLabel.objects.filter(alumnus=alumnus, name__in=gone).delete()
        logged = [
            ProfileChange(
                alumnus=alumnus, follower=follower, user=user, field=LABEL_FIELD, new_value=n
            )
            for n in new
        ] + [
            ProfileChange(
                alumnus=alumnus, follower=follower, user=user, field=LABEL_FIELD, old_value=n
            )
            for n in gone
        ]
        ProfileChange.objects.bulk_create(logged)
    if logged:
        logger.info("Alumnus %s labels: +%s -%s", alumnus.pk, len(new), len(gone))
    return logged
