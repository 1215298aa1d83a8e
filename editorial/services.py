"""Every editorial state transition, and saving or restoring an item's content.

Each transition locks the item's row, judges the state read under the lock against its row in
`editorial.workflow.TRANSITIONS`, writes an AuditEntry and sends its signal after commit.
Callers (admin actions, the liaison portal, the scheduler) turn `EditorialError`s into messages
and never set `state` themselves. Every service names who acts: a user, or
`editorial.actors.SYSTEM` for the scheduler and WeChat; `by=None` is refused.
"""

from collections.abc import Callable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import FileField
from django.dispatch import Signal
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.names import display_name

from . import workflow
from .actors import SYSTEM, is_person, is_reviewer
from .errors import InvalidValueError, NotAllowedError
from .models import AuditEntry, EditorialItem, ReviewComment, Revision, State
from .registry import content_models
from .workflow import (
    APPROVE,
    PUBLISH,
    RECALL,
    REJECT,
    REOPEN,
    SCHEDULE,
    SUBMIT,
    WITHDRAW,
    Transition,
    may_create,
    may_edit,
)

# Fields only the workflow sets: item_save refuses them in `data` and keeps their stored values.
WORKFLOW_FIELDS = ("id", "state", "published_at", "created_by", "created_at", "updated_at")

# Due items are published in batches, each batch in one transaction.
PUBLISH_DUE_BATCH = 50


# Moving, auditing, signalling.


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
        user=by if is_person(by) else None,
        comment=comment,
    )


def _move(
    item: EditorialItem,
    transition: Transition,
    *,
    by,
    note: str = "",
    update_fields: tuple[str, ...] = (),
    save: bool = True,
    **signal_kwargs,
) -> AuditEntry:
    """Take `transition` on the locked item: judge who and from which state, change the state,
    save it (unless `save` is False: the caller saves it with its content), write the audit
    entry (with `note` as its comment), and send the transition's signals after commit with
    `signal_kwargs`."""
    to = workflow.judge(transition, item, by)
    from_state = item.state
    item.state = to
    if to == State.PUBLISHED and item.published_at is None:
        item.published_at = timezone.now()
    if save:
        item.save(update_fields=["state", "updated_at", "published_at", *update_fields])
    entry = _audit(
        item,
        action=transition.action,
        by=by,
        from_state=from_state,
        to_state=to,
        comment=note,
    )
    if transition.signal is not None and (
        transition.signal_from is None or from_state in transition.signal_from
    ):
        _send_on_commit(transition.signal, item, by, **signal_kwargs)
    if to in transition.landing_signals:
        _send_on_commit(transition.landing_signals[to], item, by)
    return entry


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
        created_by=by if is_person(by) else None,
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

    A draft or sent-back item is edited in place. A withdrawn, scheduled or published item that
    is edited becomes a draft again (the REOPEN transition, "editorial.item.reopened"), so it
    needs a new review; a scheduled or published one leaves the site at once (item_withdrawn is
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
            if not may_create(by, item):
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
            if not may_edit(by, stored):
                raise NotAllowedError(_("You may not edit this item."))
            _check_editable(stored.state)
            for name in WORKFLOW_FIELDS:
                attname = item._meta.get_field(name).attname
                setattr(item, attname, getattr(stored, attname))
        for name, value in data.items():
            setattr(item, name, value)
        _validate(item)
        if not created and item.state in workflow.REOPENED_ON_EDIT_STATES:
            _reopen(item, by=by)
        item.save()
        if save_related is not None:
            save_related(item)
        _snapshot(item, by=by)
        if created:
            _audit(item, action="editorial.item.created", by=by, to_state=item.state)
    return item


def _check_editable(state: str) -> None:
    if state not in workflow.EDITABLE_STATES:
        raise workflow.state_error(state)


def _reopen(item: EditorialItem, *, by, note: str = "") -> None:
    """Edited content must be reviewed again: the item becomes a draft (REOPEN), so it cannot
    reach the public without a second pair of eyes; one that was public or scheduled leaves
    the site at once (item_withdrawn). The caller saves the item with its content."""
    reason = gettext("Changed by %(user)s; needs a new review.") % {"user": display_name(by)}
    _move(item, REOPEN, by=by, note=note, save=False, reason=reason)


def revision_restore(*, revision: Revision, by) -> EditorialItem:
    """Write a revision's snapshot back into its item, which becomes (or stays) a draft.

    The snapshot's related rows (an article's photos) replace the current ones; a photo whose
    file is gone is left out, and a relation whose target has since been deleted is emptied.
    Keeps a new revision of the restored content, by `by`, and records
    "editorial.revision.restored" (and "editorial.item.reopened" when the item was not a draft;
    a scheduled or published one leaves the site, as with any edit). Raises NotAllowedError
    without the right to edit the item, TransitionError while it awaits review,
    InvalidValueError when the snapshot fails today's validation.
    """
    model = revision.content_type.model_class()
    with transaction.atomic():
        item = model.objects.select_for_update().get(pk=revision.object_id)
        if not may_edit(by, item):
            raise NotAllowedError(_("You may not edit this item."))
        _check_editable(item.state)
        _apply_snapshot(item, revision.data)
        # An old revision may not meet today's rules (the body cap, say): refused like an edit.
        _validate(item)
        from_state = item.state
        if from_state != State.DRAFT:
            _reopen(item, by=by, note=f"#{revision.pk}")
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


def _take(item: EditorialItem, transition: Transition, *, by, **kwargs) -> EditorialItem:
    """Lock the item and take `transition` on it (see `_move`); the caller's instance is
    brought up to date."""
    with transaction.atomic():
        locked = _lock(item)
        _move(locked, transition, by=by, **kwargs)
    _sync(item, locked)
    return locked


def item_submit(*, item: EditorialItem, by, comment: str = "") -> EditorialItem:
    """Send a draft, sent-back or withdrawn item to the reviewers.

    Anyone who may edit the item may submit it (liaisons: their own items). Raises
    NotAllowedError or TransitionError.
    """
    return _take(item, SUBMIT, by=by, note=comment, comment=comment)


def item_recall(*, item: EditorialItem, by) -> EditorialItem:
    """The author takes a submitted item back into draft. Raises NotAllowedError or
    TransitionError."""
    return _take(item, RECALL, by=by)


def item_approve(*, item: EditorialItem, by, comment: str = "") -> EditorialItem:
    """Approve a submitted item: publish it at once, or schedule it for its `publish_at` when
    that is still ahead (one move, audited as "editorial.item.approved"; item_approved and then
    item_published or item_scheduled are sent).

    Needs the review permission, and (unless EDITORIAL_ALLOW_SELF_APPROVAL) someone other than
    the item's author. Raises NotAllowedError or TransitionError; of two reviewers approving at
    once, the second gets TransitionError.
    """
    return _take(item, APPROVE, by=by, note=comment, comment=comment)


def item_reject(*, item: EditorialItem, by, reason: str) -> EditorialItem:
    """Send a submitted item back to its author with a reason, kept as a ReviewComment too.

    Raises NotAllowedError, InvalidValueError (an EditorialError and a ValueError) when the
    reason is empty, or TransitionError.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock(item)
        REJECT.check(by, locked)
        if REJECT.needs_reason and not reason:
            raise InvalidValueError(_("Give a reason for sending the item back."))
        _move(locked, REJECT, by=by, note=reason, reason=reason)
        ReviewComment.objects.create(
            content_type=ContentType.objects.get_for_model(locked),
            object_id=locked.pk,
            author=by,
            body=reason,
        )
    _sync(item, locked)
    return locked


def item_schedule(*, item: EditorialItem, by, publish_at: datetime) -> EditorialItem:
    """Move a scheduled item's publication to `publish_at` (an approval with a future
    `publish_at` schedules it in the first place).

    Raises NotAllowedError, InvalidValueError unless `publish_at` is in the future (a naive time
    is read in the current time zone), or TransitionError.
    """
    if publish_at is not None and timezone.is_naive(publish_at):
        publish_at = timezone.make_aware(publish_at)
    with transaction.atomic():
        locked = _lock(item)
        SCHEDULE.check(by, locked)
        if publish_at is None or publish_at <= timezone.now():
            raise InvalidValueError(_("Choose a publication time in the future."))
        locked.publish_at = publish_at
        _move(locked, SCHEDULE, by=by, update_fields=("publish_at",))
    _sync(item, locked)
    return locked


def item_publish(*, item: EditorialItem, by) -> EditorialItem:
    """Publish a scheduled or withdrawn item now.

    `by` is a reviewer, or SYSTEM (the scheduler, a WeChat send) for a scheduled item only;
    None is refused. `published_at` keeps the time of the first publication. Raises
    NotAllowedError or TransitionError.
    """
    return _take(item, PUBLISH, by=by)


def item_withdraw(*, item: EditorialItem, by, reason: str = "") -> EditorialItem:
    """Take a scheduled or published item off the site. Raises NotAllowedError or
    TransitionError."""
    reason = (reason or "").strip()
    return _take(item, WITHDRAW, by=by, note=reason, reason=reason)


def item_comment(*, item: EditorialItem, by, body: str) -> ReviewComment:
    """Add a reviewer's comment to an item, in any state.

    Raises NotAllowedError without the review permission, InvalidValueError for an empty body.
    """
    if not is_reviewer(by):
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
    """Names of the offered transitions `user` may take on `item` now (workflow.allowed)."""
    return [t.name for t in workflow.allowed(item, user)]


# Scheduling.


def items_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled item whose `publish_at` has come; return how many.

    Rows are claimed with SKIP LOCKED, so two schedulers at once publish each item exactly once.
    SYSTEM publishes them: the audit entries name no user.
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
                    _move(item, PUBLISH, by=SYSTEM)
            count += len(batch)
            if len(batch) < PUBLISH_DUE_BATCH:
                break
    return count
