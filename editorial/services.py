"""Every editorial state transition, and saving or restoring an item's content.

Each transition locks the item's row, judges the state read under the lock against `ALLOWED`,
writes an AuditEntry and sends its signal after commit. Callers (admin actions, the liaison
portal, the scheduler) turn `EditorialError`s into messages and never set `state` themselves.
"""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import FileField
from django.dispatch import Signal
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import InvalidValueError, NotAllowedError, TransitionError
from .models import AuditEntry, EditorialItem, ReviewComment, Revision, State
from .registry import content_models
from .selectors import item_changed_since_approval
from .signals import (
    item_approved,
    item_published,
    item_recalled,
    item_rejected,
    item_scheduled,
    item_submitted,
    item_withdrawn,
)

# The only moves an item may make, from its current state to the next.
ALLOWED: dict[str, frozenset[str]] = {
    State.DRAFT: frozenset({State.SUBMITTED}),
    State.SUBMITTED: frozenset({State.DRAFT, State.APPROVED, State.REJECTED}),
    State.APPROVED: frozenset({State.SCHEDULED, State.PUBLISHED, State.WITHDRAWN}),
    # Scheduled to scheduled is a change of publication time.
    State.SCHEDULED: frozenset({State.SCHEDULED, State.PUBLISHED, State.WITHDRAWN}),
    State.PUBLISHED: frozenset({State.WITHDRAWN}),
    State.REJECTED: frozenset({State.SUBMITTED}),
    State.WITHDRAWN: frozenset({State.SUBMITTED, State.PUBLISHED}),
}

# The named transitions (for buttons) and the state each one leads to.
TRANSITIONS: dict[str, str] = {
    "submit": State.SUBMITTED,
    "recall": State.DRAFT,
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "schedule": State.SCHEDULED,
    "publish": State.PUBLISHED,
    "withdraw": State.WITHDRAWN,
}
TRANSITION_LABELS = {
    "submit": _("Submit for review"),
    "recall": _("Take back"),
    "approve": _("Approve"),
    "reject": _("Send back"),
    "schedule": _("Schedule"),
    "publish": _("Publish now"),
    "withdraw": _("Withdraw"),
}

# States whose content may be edited (and a revision restored into) in place.
EDITABLE_STATES = frozenset({State.DRAFT, State.REJECTED, State.WITHDRAWN})
# States whose content may be edited too, but an edit takes the item off the site (or out of the
# schedule) into draft: nothing a reviewer has not seen may stay public or go out. The approved
# version is not kept live meanwhile; a second, pending copy of every item (and of its photos)
# is more machinery than an office that corrects a typo now and then needs. A submission
# (in neither set) is frozen while it is reviewed: its author takes it back to change it.
REOPENED_ON_EDIT_STATES = frozenset({State.APPROVED, State.SCHEDULED, State.PUBLISHED})
# Fields only the workflow sets: item_save refuses them in `data` and keeps their stored values.
WORKFLOW_FIELDS = ("id", "state", "published_at", "created_by", "created_at", "updated_at")

_STATE_MESSAGES = {
    State.DRAFT: _("This item is still a draft."),
    State.SUBMITTED: _("This item is already awaiting review."),
    State.APPROVED: _("This item is already approved."),
    State.SCHEDULED: _("This item is already scheduled for publication."),
    State.PUBLISHED: _("This item is already published."),
    State.REJECTED: _("This item has been sent back to its author."),
    State.WITHDRAWN: _("This item has been withdrawn."),
}

# Due items are published in batches, each batch in one transaction.
PUBLISH_DUE_BATCH = 50


# Who may do what. Roles come from permissions, never from group names.


def _is_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _is_reviewer(user) -> bool:
    return _is_user(user) and user.has_perm("editorial.review_item")


def _is_author(user, item: EditorialItem) -> bool:
    return _is_user(user) and item.created_by_id is not None and item.created_by_id == user.pk


def _may_edit(user, item: EditorialItem) -> bool:
    if not _is_user(user):
        return False
    opts = item._meta
    if user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
        return True
    return user.has_perm("editorial.use_liaison_portal") and _is_author(user, item)


def _may_create(user, item: EditorialItem) -> bool:
    if not _is_user(user):
        return False
    opts = item._meta
    return user.has_perm(f"{opts.app_label}.add_{opts.model_name}") or user.has_perm(
        "editorial.use_liaison_portal"
    )


def _check_submit(item: EditorialItem, user) -> None:
    if not _may_edit(user, item):
        raise NotAllowedError(_("You may not submit this item."))


def _check_recall(item: EditorialItem, user) -> None:
    if not ((_is_author(user, item) and _may_edit(user, item)) or _is_superuser(user)):
        raise NotAllowedError(_("Only the author can take back a submission."))


def _check_approve(item: EditorialItem, user) -> None:
    # Four eyes: whoever wrote or changed what is approved (fields, photos, a restored
    # revision) is not the second pair. EDITORIAL_ALLOW_SELF_APPROVAL exempts the author only.
    if not _is_reviewer(user):
        raise NotAllowedError(_("Only reviewers can approve."))
    if _is_author(user, item):
        if not settings.EDITORIAL_ALLOW_SELF_APPROVAL:
            raise NotAllowedError(_("You cannot approve your own submission."))
    elif item.pk is not None and item_changed_since_approval(item=item, user=user):
        raise NotAllowedError(
            _(
                "You changed this item since it was last approved, so another reviewer "
                "must approve it."
            )
        )


def _check_reject(item: EditorialItem, user) -> None:
    if not _is_reviewer(user):
        raise NotAllowedError(_("Only reviewers can send items back."))


def _check_schedule(item: EditorialItem, user) -> None:
    if not _is_reviewer(user):
        raise NotAllowedError(_("Only reviewers can schedule items."))


def _check_publish(item: EditorialItem, user) -> None:
    if not _is_reviewer(user):
        raise NotAllowedError(_("Only reviewers can publish items."))


def _check_withdraw(item: EditorialItem, user) -> None:
    if not _is_reviewer(user):
        raise NotAllowedError(_("Only reviewers can withdraw items."))


def _is_superuser(user) -> bool:
    return _is_user(user) and user.is_superuser


_CHECKS: dict[str, Callable[[EditorialItem, object], None]] = {
    "submit": _check_submit,
    "recall": _check_recall,
    "approve": _check_approve,
    "reject": _check_reject,
    "schedule": _check_schedule,
    "publish": _check_publish,
    "withdraw": _check_withdraw,
}


# Moving, auditing, signalling.


def _state_error(state: str) -> TransitionError:
    message = _STATE_MESSAGES.get(state, _("This item cannot be changed now."))
    return TransitionError(message, state=state)


def _lock(item: EditorialItem) -> EditorialItem:
    if item.pk is None:
        raise InvalidValueError(_("Save the item before changing its state."))
    return type(item).objects.select_for_update().get(pk=item.pk)


def _audit(
    item: EditorialItem, *, action: str, by, from_state: str = "", to_state: str = "", comment=""
) -> AuditEntry:
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        action=action,
        from_state=from_state,
        to_state=to_state,
        user=by if _is_user(by) else None,
        comment=comment,
    )


def _move(
    item: EditorialItem,
    *,
    to: str,
    by,
    action: str,
    comment: str = "",
    update_fields: tuple[str, ...] = (),
) -> AuditEntry:
    """Check `ALLOWED`, change the locked item's state, save it and write the audit entry."""
    from_state = item.state
    if to not in ALLOWED.get(from_state, ()):
        raise _state_error(from_state)
    item.state = to
    fields = ["state", "updated_at", *update_fields]
    if to == State.PUBLISHED and item.published_at is None:
        item.published_at = timezone.now()
        fields.append("published_at")
    item.save(update_fields=fields)
    return _audit(item, action=action, by=by, from_state=from_state, to_state=to, comment=comment)


def _send_on_commit(signal: Signal, item: EditorialItem, by, **extra) -> None:
    transaction.on_commit(lambda: signal.send(sender=type(item), item=item, by=by, **extra))


def _sync(target: EditorialItem, source: EditorialItem) -> None:
    """Give the caller's instance the workflow fields of the saved one, so it is not stale."""
    if target is source:
        return
    for name in ("state", "publish_at", "published_at", "updated_at"):
        setattr(target, name, getattr(source, name))


def _validate(item: EditorialItem) -> None:
    try:
        item.full_clean()
    except ValidationError as err:
        errors = err.message_dict
        parts = []
        for name, messages in errors.items():
            try:
                label = capfirst(item._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = ""
            text = " ".join(messages)
            parts.append(
                gettext("%(field)s: %(errors)s") % {"field": label, "errors": text}
                if label
                else text
            )
        message = gettext("The item could not be saved: %(errors)s") % {"errors": " ".join(parts)}
        raise InvalidValueError(message, errors=errors) from err


def _editable_field(item: EditorialItem, name: str):
    try:
        field = item._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if (
        field is None
        or not field.concrete
        or field.many_to_many
        or not field.editable
        or field.name in WORKFLOW_FIELDS
    ):
        raise InvalidValueError(
            gettext("“%(name)s” is not a field that can be edited.") % {"name": name}
        )
    return field


def _snapshot(item: EditorialItem, *, by) -> Revision:
    return Revision.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        data=item.revision_snapshot(),
        state=item.state,
        created_by=by if _is_user(by) else None,
    )


# Content.


def item_save(
    *,
    item: EditorialItem,
    by,
    data: dict | None = None,
    save_related: Callable[[EditorialItem], None] | None = None,
) -> EditorialItem:
    """Save edits to an item and keep a Revision of them (its fields and `revision_related` rows).

    A draft or sent-back item is edited in place. A withdrawn, approved, scheduled or published
    item that is edited becomes a draft again ("editorial.item.reopened"), so it needs a new
    review; an approved, scheduled or published one leaves the site at once (item_withdrawn is
    sent). A submission cannot be edited until its author takes it back.

    `save_related(item)`, when given, saves the rows edited with the item (the admin's inlines,
    the portal's photos); it runs in the same transaction after the item is saved and before the
    revision is taken, so the revision holds them.

    The fields in `data` (names or attnames, e.g. "category" or "category_id") are set on `item`
    first; the workflow fields (state, published_at, created_by…) keep their stored values. An
    unsaved item is created as a draft, owned by `by` unless it names another author (liaisons
    always own what they create). Raises NotAllowedError without the change (or add) permission,
    or for a liaison's item that is not theirs; TransitionError when the stored state does not
    allow edits; InvalidValueError when a field is unknown or fails validation (a rich-text field
    longer than EDITORIAL_BODY_MAX_CHARS). Nothing is saved when it raises.
    """
    data = dict(data or {})
    for name in data:
        _editable_field(item, name)
    created = item.pk is None
    with transaction.atomic():
        if created:
            if not _may_create(by, item):
                raise NotAllowedError(_("You may not create this kind of item."))
            opts = item._meta
            if item.created_by_id is None or not by.has_perm(
                f"{opts.app_label}.add_{opts.model_name}"
            ):
                item.created_by = by
            item.state = State.DRAFT
            item.published_at = None
        else:
            stored = _lock(item)
            if not _may_edit(by, stored):
                raise NotAllowedError(_("You may not edit this item."))
            _check_editable(stored.state)
            for name in WORKFLOW_FIELDS:
                attname = item._meta.get_field(name).attname
                setattr(item, attname, getattr(stored, attname))
        for name, value in data.items():
            setattr(item, name, value)
        _validate(item)
        from_state = item.state
        reopened = not created and _reopen(item)
        item.save()
        if save_related is not None:
            save_related(item)
        _snapshot(item, by=by)
        if created:
            _audit(item, action="editorial.item.created", by=by, to_state=item.state)
        elif reopened:
            _audit_reopened(item, by=by, from_state=from_state)
    return item


def _check_editable(state: str) -> None:
    if state not in EDITABLE_STATES and state not in REOPENED_ON_EDIT_STATES:
        raise _state_error(state)


def _reopen(item: EditorialItem) -> bool:
    """Edited content must be reviewed again: a withdrawn, approved, scheduled or published item
    that is changed becomes a draft, so it cannot reach the public without a second pair of
    eyes. Returns whether the state changed."""
    if item.state == State.WITHDRAWN or item.state in REOPENED_ON_EDIT_STATES:
        item.state = State.DRAFT
        return True
    return False


def _audit_reopened(item: EditorialItem, *, by, from_state: str, comment: str = "") -> None:
    _audit(
        item,
        action="editorial.item.reopened",
        by=by,
        from_state=from_state,
        to_state=State.DRAFT,
        comment=comment,
    )
    if from_state in REOPENED_ON_EDIT_STATES:
        # It has left the site (or the schedule): public pages drop it, as on a withdrawal.
        reason = gettext("Changed by %(user)s; needs a new review.") % {"user": by}
        _send_on_commit(item_withdrawn, item, by, reason=reason)


def revision_restore(*, revision: Revision, by) -> EditorialItem:
    """Write a revision's snapshot back into its item, which becomes (or stays) a draft.

    The snapshot's related rows (an article's photos) replace the current ones; a photo whose
    file is gone is left out, and a relation whose target has since been deleted is emptied.
    Keeps a new revision of the restored content, by `by`, and records
    "editorial.revision.restored" (and "editorial.item.reopened" when the item was approved,
    scheduled or published: it leaves the site, as with any edit). Raises NotAllowedError
    without the right to edit the item, TransitionError while it awaits review,
    InvalidValueError when the snapshot fails today's validation.
    """
    model = revision.content_type.model_class()
    with transaction.atomic():
        item = model.objects.select_for_update().get(pk=revision.object_id)
        if not _may_edit(by, item):
            raise NotAllowedError(_("You may not edit this item."))
        _check_editable(item.state)
        _apply_snapshot(item, revision.data)
        # An old revision may not meet today's rules (the body cap, say): refused like an edit.
        _validate(item)
        from_state = item.state
        if from_state in REOPENED_ON_EDIT_STATES:
            _audit_reopened(item, by=by, from_state=from_state, comment=f"#{revision.pk}")
        item.state = State.DRAFT
        item.save()
        _apply_related_snapshot(item, revision.data)
        _snapshot(item, by=by)
        _audit(
            item,
            action="editorial.revision.restored",
            by=by,
            from_state=from_state,
            to_state=State.DRAFT,
            comment=f"#{revision.pk}",
        )
    return item


def _apply_snapshot(item: EditorialItem, data: dict) -> None:
    for name in item.revision_fields:
        if name not in data:
            continue
        field = item._meta.get_field(name)
        value = data[name]
        if field.is_relation:
            if (
                value is not None
                and not field.related_model._default_manager.filter(pk=value).exists()
            ):
                value = None
            setattr(item, field.attname, value)
        elif isinstance(field, FileField):
            # A cover whose file is gone is emptied rather than pointed at nothing.
            setattr(item, name, value if value and field.storage.exists(value) else "")
        else:
            setattr(item, name, field.to_python(value))


def _apply_related_snapshot(item: EditorialItem, data: dict) -> None:
    for relation, fields in item.revision_related.items():
        if relation not in data:
            continue
        rel = item._meta.get_field(relation)
        model = rel.related_model
        getattr(item, relation).all().delete()
        rows = []
        for values in data[relation] or ():
            row = model(**{rel.field.name: item})
            skip = False
            for name in fields:
                if name not in values:
                    continue
                field = model._meta.get_field(name)
                value = values[name]
                if isinstance(field, FileField):
                    if not value or not field.storage.exists(value):
                        # The file is gone: a row that needs one (a photo) is left out.
                        skip = skip or not field.blank
                        value = ""
                    setattr(row, name, value)
                else:
                    setattr(row, field.attname, field.to_python(value))
            if not skip:
                rows.append(row)
        for row in rows:
            row.save()


# Transitions.


def item_submit(*, item: EditorialItem, by, comment: str = "") -> EditorialItem:
    """Send a draft, sent-back or withdrawn item to the reviewers.

    Anyone who may edit the item may submit it (liaisons: their own items). Raises
    NotAllowedError or TransitionError.
    """
    with transaction.atomic():
        locked = _lock(item)
        _check_submit(locked, by)
        _move(locked, to=State.SUBMITTED, by=by, action="editorial.item.submitted", comment=comment)
        _send_on_commit(item_submitted, locked, by, comment=comment)
    _sync(item, locked)
    return locked


def item_recall(*, item: EditorialItem, by) -> EditorialItem:
    """The author takes a submitted item back into draft. Raises NotAllowedError or
    TransitionError."""
    with transaction.atomic():
        locked = _lock(item)
        _check_recall(locked, by)
        _move(locked, to=State.DRAFT, by=by, action="editorial.item.recalled")
        _send_on_commit(item_recalled, locked, by)
    _sync(item, locked)
    return locked


def item_approve(*, item: EditorialItem, by, comment: str = "") -> EditorialItem:
    """Approve a submitted item, then publish it at once or schedule it for its `publish_at`.

    Needs the review permission, and (unless EDITORIAL_ALLOW_SELF_APPROVAL) someone other than
    the item's author. Raises NotAllowedError or TransitionError; of two reviewers approving at
    once, the second gets TransitionError.
    """
    with transaction.atomic():
        locked = _lock(item)
        _check_approve(locked, by)
        _move(locked, to=State.APPROVED, by=by, action="editorial.item.approved", comment=comment)
        _send_on_commit(item_approved, locked, by, comment=comment)
        if locked.publish_at is not None and locked.publish_at > timezone.now():
            _move(locked, to=State.SCHEDULED, by=by, action="editorial.item.scheduled")
            _send_on_commit(item_scheduled, locked, by)
        else:
            _move(locked, to=State.PUBLISHED, by=by, action="editorial.item.published")
            _send_on_commit(item_published, locked, by)
    _sync(item, locked)
    return locked


def item_reject(*, item: EditorialItem, by, reason: str) -> EditorialItem:
    """Send a submitted item back to its author with a reason, kept as a ReviewComment too.

    Raises NotAllowedError, InvalidValueError (an EditorialError and a ValueError) when the
    reason is empty, or TransitionError.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock(item)
        _check_reject(locked, by)
        if not reason:
            raise InvalidValueError(_("Give a reason for sending the item back."))
        _move(locked, to=State.REJECTED, by=by, action="editorial.item.rejected", comment=reason)
        ReviewComment.objects.create(
            content_type=ContentType.objects.get_for_model(locked),
            object_id=locked.pk,
            author=by,
            body=reason,
        )
        _send_on_commit(item_rejected, locked, by, reason=reason)
    _sync(item, locked)
    return locked


def item_schedule(*, item: EditorialItem, by, publish_at: datetime) -> EditorialItem:
    """Schedule an approved item (or move a scheduled one) to be published at `publish_at`.

    Raises NotAllowedError, InvalidValueError unless `publish_at` is in the future (a naive time
    is read in the current time zone), or TransitionError.
    """
    if publish_at is not None and timezone.is_naive(publish_at):
        publish_at = timezone.make_aware(publish_at)
    with transaction.atomic():
        locked = _lock(item)
        _check_schedule(locked, by)
        if publish_at is None or publish_at <= timezone.now():
            raise InvalidValueError(_("Choose a publication time in the future."))
        locked.publish_at = publish_at
        _move(
            locked,
            to=State.SCHEDULED,
            by=by,
            action="editorial.item.scheduled",
            update_fields=("publish_at",),
        )
        _send_on_commit(item_scheduled, locked, by)
    _sync(item, locked)
    return locked


def item_publish(*, item: EditorialItem, by=None) -> EditorialItem:
    """Publish an approved, scheduled or withdrawn item now.

    `by=None` is the scheduler and needs no permission; a user needs the review permission.
    `published_at` keeps the time of the first publication. Raises NotAllowedError or
    TransitionError.
    """
    with transaction.atomic():
        locked = _lock(item)
        if by is not None:
            _check_publish(locked, by)
        _move(locked, to=State.PUBLISHED, by=by, action="editorial.item.published")
        _send_on_commit(item_published, locked, by)
    _sync(item, locked)
    return locked


def item_withdraw(*, item: EditorialItem, by, reason: str = "") -> EditorialItem:
    """Take an approved, scheduled or published item off the site. Raises NotAllowedError or
    TransitionError."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock(item)
        _check_withdraw(locked, by)
        _move(locked, to=State.WITHDRAWN, by=by, action="editorial.item.withdrawn", comment=reason)
        _send_on_commit(item_withdrawn, locked, by, reason=reason)
    _sync(item, locked)
    return locked


def item_comment(*, item: EditorialItem, by, body: str) -> ReviewComment:
    """Add a reviewer's comment to an item, in any state.

    Raises NotAllowedError without the review permission, InvalidValueError for an empty body.
    """
    if not _is_reviewer(by):
        raise NotAllowedError(_("Only reviewers can comment."))
    body = (body or "").strip()
    if not body:
        raise InvalidValueError(_("Write a comment first."))
    if item.pk is None:
        raise InvalidValueError(_("Save the item before changing its state."))
    return ReviewComment.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        author=by,
        body=body,
    )


def allowed_transitions(*, item: EditorialItem, user) -> list[str]:
    """Names of the transitions (keys of TRANSITIONS) `user` may perform on `item` now.

    Judged from the item as given (no lock), for showing buttons; the services judge again.
    """
    names = []
    for name, to in TRANSITIONS.items():
        if to not in ALLOWED.get(item.state, ()):
            continue
        try:
            _CHECKS[name](item, user)
        except NotAllowedError:
            continue
        names.append(name)
    return names


# Scheduling.


def items_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled item whose `publish_at` has come; return how many.

    Rows are claimed with SKIP LOCKED, so two schedulers at once publish each item exactly once.
    The audit entries name no user.
    """
    now = now or timezone.now()
    count = 0
    for model in content_models():
        while True:
            with transaction.atomic():
                batch = list(
                    model.objects.select_for_update(skip_locked=True)
                    .filter(state=State.SCHEDULED, publish_at__lte=now)
                    .order_by("publish_at", "pk")[:PUBLISH_DUE_BATCH]
                )
                for item in batch:
                    _move(item, to=State.PUBLISHED, by=None, action="editorial.item.published")
                    _send_on_commit(item_published, item, None)
            count += len(batch)
            if len(batch) < PUBLISH_DUE_BATCH:
                break
    return count
