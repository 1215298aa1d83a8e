"""Gifts are finance records: recorded, changed and deleted only by the donations officer (or an
office admin), within the configured bounds, each change leaving an audit entry with the amount
before and after.

Audit entries reuse `editorial.AuditEntry` (it points at any object): actions
`donations.gift.created`, `donations.gift.changed` and `donations.gift.deleted`, the user, the
time, and a comment listing each changed field as `field: before → after`.
"""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.money import grouped
from editorial.errors import InvalidValueError, NotAllowedError
from editorial.models import AuditEntry

from .models import Channel, Gift

# The fields an audit comment compares; `created_at` and the pk are bookkeeping.
AUDITED_FIELDS = (
    "project",
    "amount",
    "donor_name",
    "donor_alumnus",
    "donated_on",
    "channel",
    "anonymous",
    "message",
)


def gift_save(*, gift: Gift, by) -> Gift:
    """Record a new gift or save changes to one, with an audit entry naming what changed.

    Raises NotAllowedError when `by` may not add (new gift) or change gifts, InvalidValueError
    (with the fields' messages) when a value fails validation, e.g. an amount above
    DONATIONS_GIFT_MAX_AMOUNT. A save that changes nothing writes no entry.
    """
    creating = gift.pk is None
    _check_permission(by, "add_gift" if creating else "change_gift")
    try:
        gift.full_clean()
    except ValidationError as exc:
        raise InvalidValueError(" ".join(exc.messages), errors=exc.message_dict) from exc
    with transaction.atomic():
        before = None if creating else Gift.objects.select_for_update().get(pk=gift.pk)
        changes = _changes(before, gift)
        if not creating and not changes:
            return gift
        gift.save()
        _audit(
            gift,
            action="donations.gift.created" if creating else "donations.gift.changed",
            by=by,
            changes=changes,
        )
    return gift


def gift_delete(*, gift: Gift, by) -> None:
    """Delete a gift, keeping an audit entry with everything it recorded.

    Raises NotAllowedError when `by` may not delete gifts.
    """
    _check_permission(by, "delete_gift")
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift.pk)
        changes = [(name, _value(gift, name), "") for name in AUDITED_FIELDS]
        _audit(gift, action="donations.gift.deleted", by=by, changes=changes)
        gift.delete()


def _check_permission(user, codename: str) -> None:
    if not (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(f"donations.{codename}")
    ):
        raise NotAllowedError(_("Only the donations officer may record or change gifts."))


def _value(gift: Gift, name: str) -> str:
    field = Gift._meta.get_field(name)
    if field.is_relation:
        related_id = getattr(gift, field.attname)
        return "" if related_id is None else f"{getattr(gift, name)} (#{related_id})"
    value = getattr(gift, name)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return grouped(value)
    return "" if value is None else str(value)


def _changes(before: Gift | None, after: Gift) -> list[tuple[str, str, str]]:
    rows = []
    for name in AUDITED_FIELDS:
        old = "" if before is None else _value(before, name)
        new = _value(after, name)
        if old != new:
            rows.append((name, old, new))
    return rows


def _audit(gift: Gift, *, action: str, by, changes) -> AuditEntry:
    lines = [
        f"{Gift._meta.get_field(name).verbose_name}: {old or '—'} → {new or '—'}"
        for name, old, new in changes
    ]
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Gift),
        object_id=gift.pk,
        action=action,
        user=by,
        comment="\n".join(lines),
    )


def gift_record_online(
    *,
    project,
    amount: Decimal,
    donor_name: str,
    anonymous: bool,
    message: str,
    donated_on,
    reference: str,
) -> Gift:
    """Record a gift paid online (WeChat Pay) as the system: no person acts, so the audit entry
    names no user and says where the payment came from (`reference`).

    Call it inside the caller's transaction, with the caller's payment row locked: the caller
    (payments.services) is what makes it happen once per payment. Raises InvalidValueError when
    a value fails validation (e.g. an amount above DONATIONS_GIFT_MAX_AMOUNT).
    """
    gift = Gift(
        project=project,
        amount=amount,
        donor_name=donor_name,
        anonymous=anonymous,
        message=message,
        donated_on=donated_on,
        channel=Channel.WECHAT_PAY,
    )
    try:
        gift.full_clean()
    except ValidationError as exc:
        raise InvalidValueError(" ".join(exc.messages), errors=exc.message_dict) from exc
    gift.save()
    entry = _audit(gift, action="donations.gift.created", by=None, changes=_changes(None, gift))
    entry.comment = f"{entry.comment}\n{_('Recorded by the system')}: {reference}"
    entry.save(update_fields=["comment"])
    return gift
