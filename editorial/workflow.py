"""The editorial workflow, declared once.

Each `Transition` names its source states, its target, who may take it (a check that raises
`NotAllowedError` with the message the person sees), its button label, whether it needs a
reason, the signal it sends after commit and the audit action it writes. The services move
items only through `editorial.services._move` with one of these rows; the admin buttons, the
liaison portal and the documented table (editorial/README.md, compared with this table by
tests/editorial/test_workflow.py) all read it.

APPROVED is gone as a state an item can be in: an approval publishes the item at once, or
schedules it when its `publish_at` is still ahead, in one move ("editorial.item.approved",
submitted → published or scheduled). No transition leads to or from APPROVED; the value stays
in `State` only so that audit entries written before this table still read.

Who acts is explicit: a person (a user) or `editorial.actors.SYSTEM` (the scheduler, a WeChat
callback), which may only publish a scheduled item. A service given `by=None` refuses.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import signals as signals_module
from .actors import SYSTEM, is_person, is_reviewer
from .errors import NotAllowedError, TransitionError
from .models import EditorialItem, State
from .selectors import APPROVED_ACTION, item_changed_since_approval
from .signals import (
    item_approved,
    item_published,
    item_recalled,
    item_rejected,
    item_scheduled,
    item_submitted,
    item_withdrawn,
)

Check = Callable[[object, EditorialItem], None]


def is_author(user, item: EditorialItem) -> bool:
    """Whether `user` is the person who created the item."""
    return is_person(user) and item.created_by_id is not None and item.created_by_id == user.pk


def may_edit(user, item: EditorialItem) -> bool:
    """Whether `user` may change the item: the model's change permission, or a liaison's own."""
    if not is_person(user):
        return False
    opts = item._meta
    if user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
        return True
    return user.has_perm("editorial.use_liaison_portal") and is_author(user, item)


def may_create(user, item: EditorialItem) -> bool:
    """Whether `user` may create an item of this kind (the add permission, or a liaison)."""
    if not is_person(user):
        return False
    opts = item._meta
    return user.has_perm(f"{opts.app_label}.add_{opts.model_name}") or user.has_perm(
        "editorial.use_liaison_portal"
    )


def _requires(predicate: Callable[[object, EditorialItem], bool], message) -> Check:
    """A check that refuses with `message` unless `predicate(user, item)` holds."""

    def check(user, item: EditorialItem) -> None:
        if not predicate(user, item):
            raise NotAllowedError(message)

    return check


def _may_recall(user, item: EditorialItem) -> bool:
    return (is_author(user, item) and may_edit(user, item)) or (
        is_person(user) and user.is_superuser
    )


def _reviewer(user, item: EditorialItem) -> bool:
    return is_reviewer(user)


def _may_publish(user, item: EditorialItem) -> bool:
    # The system publishes only what a reviewer scheduled (the scheduler, a WeChat send).
    return is_reviewer(user) or (user is SYSTEM and item.state == State.SCHEDULED)


def _check_approve(user, item: EditorialItem) -> None:
    # Four eyes: whoever wrote or changed what is approved (fields, photos, a restored
    # revision) is not the second pair. EDITORIAL_ALLOW_SELF_APPROVAL exempts the author only.
    if not is_reviewer(user):
        raise NotAllowedError(_("Only reviewers can approve."))
    if is_author(user, item):
        if not settings.EDITORIAL_ALLOW_SELF_APPROVAL:
            raise NotAllowedError(_("You cannot approve your own submission."))
    elif item.pk is not None and item_changed_since_approval(item=item, user=user):
        raise NotAllowedError(
            _(
                "You changed this item since it was last approved, so another reviewer "
                "must approve it."
            )
        )


@dataclass(frozen=True)
class Transition:
    """One move of the workflow. `check(user, item)` raises NotAllowedError with its message."""

    name: str
    sources: frozenset[str]
    target: str
    check: Check
    who: str  # for the documented table (editorial/README.md)
    label: str
    action: str
    signal: Signal | None = None
    needs_reason: bool = False
    # Where the move leads instead while the item's publish_at is still ahead (approve).
    target_if_future: str | None = None
    # Further signals by the state the move lands in (an approval also publishes or schedules).
    landing_signals: dict[str, Signal] = field(default_factory=dict)
    # The signal is sent only when leaving one of these states (None: always).
    signal_from: frozenset[str] | None = None
    # Offered as a button; False for a move that follows from another act (an edit).
    offered: bool = True

    def target_for(self, item: EditorialItem) -> str:
        """The state the move leads `item` to now."""
        if (
            self.target_if_future is not None
            and item.publish_at is not None
            and item.publish_at > timezone.now()
        ):
            return self.target_if_future
        return self.target

    def may(self, user, item: EditorialItem) -> bool:
        """Whether `user` may take this move on `item` (its state aside)."""
        try:
            self.check(user, item)
        except NotAllowedError:
            return False
        return True


SUBMIT = Transition(
    name="submit",
    sources=frozenset({State.DRAFT, State.REJECTED, State.WITHDRAWN}),
    target=State.SUBMITTED,
    check=_requires(may_edit, _("You may not submit this item.")),
    who="whoever may edit it (a liaison: their own)",
    label=_("Submit for review"),
    action="editorial.item.submitted",
    signal=item_submitted,
)
RECALL = Transition(
    name="recall",
    sources=frozenset({State.SUBMITTED}),
    target=State.DRAFT,
    check=_requires(_may_recall, _("Only the author can take back a submission.")),
    who="its author, or a superuser",
    label=_("Take back"),
    action="editorial.item.recalled",
    signal=item_recalled,
)
APPROVE = Transition(
    name="approve",
    sources=frozenset({State.SUBMITTED}),
    target=State.PUBLISHED,
    target_if_future=State.SCHEDULED,
    check=_check_approve,
    who="a reviewer who is not its author and did not change it since its last approval",
    label=_("Approve"),
    action=APPROVED_ACTION,  # the four-eyes rule reads it (editorial.selectors)
    signal=item_approved,
    landing_signals={State.PUBLISHED: item_published, State.SCHEDULED: item_scheduled},
)
REJECT = Transition(
    name="reject",
    sources=frozenset({State.SUBMITTED}),
    target=State.REJECTED,
    check=_requires(_reviewer, _("Only reviewers can send items back.")),
    who="a reviewer",
    label=_("Send back"),
    action="editorial.item.rejected",
    signal=item_rejected,
    needs_reason=True,
)
# Scheduled to scheduled is a change of publication time.
SCHEDULE = Transition(
    name="schedule",
    sources=frozenset({State.SCHEDULED}),
    target=State.SCHEDULED,
    check=_requires(_reviewer, _("Only reviewers can schedule items.")),
    who="a reviewer",
    label=_("Schedule"),
    action="editorial.item.scheduled",
    signal=item_scheduled,
)
PUBLISH = Transition(
    name="publish",
    sources=frozenset({State.SCHEDULED, State.WITHDRAWN}),
    target=State.PUBLISHED,
    check=_requires(_may_publish, _("Only reviewers can publish items.")),
    who="a reviewer; SYSTEM (scheduler, WeChat send) for a scheduled item",
    label=_("Publish now"),
    action="editorial.item.published",
    signal=item_published,
)
WITHDRAW = Transition(
    name="withdraw",
    sources=frozenset({State.SCHEDULED, State.PUBLISHED}),
    target=State.WITHDRAWN,
    check=_requires(_reviewer, _("Only reviewers can withdraw items.")),
    who="a reviewer",
    label=_("Withdraw"),
    action="editorial.item.withdrawn",
    signal=item_withdrawn,
)
# An edit (or a restored revision) of an item past review takes it back to draft: nothing a
# reviewer has not seen may stay public or go out. The approved version is not kept live
# meanwhile; a second, pending copy of every item (and of its photos) is more machinery than an
# office that corrects a typo now and then needs. A sent-back item is edited in place; only a
# restore reopens it.
REOPEN = Transition(
    name="reopen",
    sources=frozenset({State.REJECTED, State.WITHDRAWN, State.SCHEDULED, State.PUBLISHED}),
    target=State.DRAFT,
    check=_requires(may_edit, _("You may not edit this item.")),
    who="whoever edits it or restores a revision (not a button)",
    label=_("Reopen as a draft"),
    action="editorial.item.reopened",
    signal=item_withdrawn,
    signal_from=frozenset({State.SCHEDULED, State.PUBLISHED}),
    offered=False,
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t for t in (SUBMIT, RECALL, APPROVE, REJECT, SCHEDULE, PUBLISH, WITHDRAW, REOPEN)
}

# States whose content is edited in place, the state kept.
EDITED_IN_PLACE_STATES = frozenset({State.DRAFT, State.REJECTED})
# States whose content may be edited, an edit reopening the item as a draft.
REOPENED_ON_EDIT_STATES = REOPEN.sources - EDITED_IN_PLACE_STATES
# States that an edit takes off the site (or out of the schedule).
LEAVES_SITE_ON_EDIT_STATES = REOPEN.signal_from
# Every state whose content may be changed at all; a submission is frozen while it is
# reviewed (its author takes it back to change it).
EDITABLE_STATES = EDITED_IN_PLACE_STATES | REOPEN.sources

_STATE_MESSAGES = {
    State.DRAFT: _("This item is still a draft."),
    State.SUBMITTED: _("This item is already awaiting review."),
    State.APPROVED: _("This item is already approved."),
    State.SCHEDULED: _("This item is already scheduled for publication."),
    State.PUBLISHED: _("This item is already published."),
    State.REJECTED: _("This item has been sent back to its author."),
    State.WITHDRAWN: _("This item has been withdrawn."),
}


def state_error(state: str) -> TransitionError:
    """The TransitionError for an item whose state does not allow a move."""
    message = _STATE_MESSAGES.get(state, _("This item cannot be changed now."))
    return TransitionError(message, state=state)


def judge(transition: Transition, item: EditorialItem, by) -> str:
    """Check who and from which state; return the target. Raises NotAllowedError (also for
    `by=None`: every move names a person or SYSTEM) or TransitionError."""
    if by is None:
        raise NotAllowedError(_("Nobody was named as making this change."))
    transition.check(by, item)
    if item.state not in transition.sources:
        raise state_error(item.state)
    return transition.target_for(item)


def allowed(item: EditorialItem, user) -> list[Transition]:
    """The offered transitions `user` may take on `item` now, in table order.

    Judged from the item as given (no lock), for showing buttons; the services judge again.
    """
    return [
        t
        for t in TRANSITIONS.values()
        if t.offered and item.state in t.sources and t.may(user, item)
    ]


def table_markdown() -> str:
    """The table as documented in editorial/README.md (tests compare the two)."""

    def states(values) -> str:
        return ", ".join(sorted(values))

    rows = [
        "| transition | from | to | who | reason | signal | audit action |",
        "|---|---|---|---|---|---|---|",
    ]
    names = {id(value): name for name, value in vars(signals_module).items()}
    for t in TRANSITIONS.values():
        target = t.target + (
            f" ({t.target_if_future} if publish_at is ahead)" if t.target_if_future else ""
        )
        signal = names.get(id(t.signal), "") if t.signal is not None else ""
        if t.signal_from:
            signal += f" (from {states(t.signal_from)})"
        for state, extra in t.landing_signals.items():
            signal += f", {names[id(extra)]} (to {state})"
        rows.append(
            f"| {t.name} | {states(t.sources)} | {target} | {t.who} | "
            f"{'yes' if t.needs_reason else ''} | {signal} | {t.action} |"
        )
    return "\n".join(rows) + "\n"
