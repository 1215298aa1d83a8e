"""A push's states and the moves between them, declared once in `MOVES`.

Each move names the states it starts from, the state it leads to, who may make it (a refusal
in Chinese, or None), the timeline line it writes and, for the people's moves, the admin's
button label. Services call `check` before they do anything and `move` to change the state;
the admin renders its buttons from `allowed_moves`. The send pipeline's moves belong to the
system: the scheduler, a task or a WeChat callback passes `by=SYSTEM`, never a default.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.actors import SYSTEM, is_person, is_reviewer
from editorial.errors import NotAllowedError, TransitionError

from ..errors import WeChatError
from ..models import Push, PushEvent, PushEventKind, PushState
from ..signals import push_moved

ACTIVE_STATES = (PushState.APPROVED, PushState.UPLOADING, PushState.DRAFT_CREATED, PushState.SENT)
NOT_STARTED_STATES = (PushState.DRAFT, PushState.APPROVED)
# Nothing more happens to a push in these states: no preview, no change.
FINAL_STATES = frozenset({PushState.FINISHED, PushState.FAILED, PushState.CANCELLED})

_STATE_MESSAGES = {
    PushState.DRAFT: _("This push is still awaiting approval."),
    PushState.APPROVED: _("This push is already approved."),
    PushState.UPLOADING: _("This push is already being sent."),
    PushState.DRAFT_CREATED: _("This push is already being sent."),
    PushState.SENT: _("This push has already been sent."),
    PushState.FINISHED: _("This push has already been sent."),
    PushState.FAILED: _("This push has failed."),
    PushState.CANCELLED: _("This push has been cancelled."),
}

# What counts as changing a push: its items, mode and audience (CREATED, CHANGED) and its
# send time (SCHEDULED).
_CHANGE_EVENTS = (PushEventKind.CREATED, PushEventKind.CHANGED, PushEventKind.SCHEDULED)


def push_changed_by(*, push: Push) -> set[int]:
    """Ids of the users who composed or changed the push since its last approval (its author
    too while it has never been approved): none of them may approve it."""
    events = PushEvent.objects.filter(push=push)
    last_approval = (
        events.filter(kind=PushEventKind.APPROVED).order_by("-created_at", "-pk").first()
    )
    changes = events.filter(kind__in=_CHANGE_EVENTS, user__isnull=False)
    if last_approval is None:
        authors = {push.created_by_id} if push.created_by_id else set()
    else:
        authors = set()
        changes = changes.filter(
            Q(created_at__gt=last_approval.created_at)
            | Q(created_at=last_approval.created_at, pk__gt=last_approval.pk)
        )
    return authors | set(changes.values_list("user_id", flat=True))


def _is_author(push: Push, user) -> bool:
    return is_person(user) and push.created_by_id == user.pk


def _may_change(push: Push, user):
    if not (is_person(user) and user.has_perm("wechat.change_push")):
        return _("You may not compose WeChat pushes.")
    return None


def _may_approve(push: Push, user):
    if not is_reviewer(user):
        return _("Only reviewers can approve pushes.")
    # As for content: EDITORIAL_ALLOW_SELF_APPROVAL exempts the push's author only; anyone
    # else who changed it since its last approval is never the second pair of eyes.
    if user.pk in push_changed_by(push=push):
        if push.created_by_id != user.pk:
            return _(
                "You changed this push since its last approval: another reviewer has to approve it."
            )
        if not settings.EDITORIAL_ALLOW_SELF_APPROVAL:
            return _("You cannot approve your own push.")
    return None


def _may_schedule(push: Push, user):
    if is_reviewer(user) or (_is_author(push, user) and user.has_perm("wechat.change_push")):
        return None
    return _("You may not change when this push is sent.")


def _may_cancel(push: Push, user):
    if is_reviewer(user) or _is_author(push, user):
        return None
    return _("Only the author or a reviewer can cancel a push.")


def _may_preview(push: Push, user):
    if is_reviewer(user) or (is_person(user) and user.has_perm("wechat.change_push")):
        return None
    return _("You may not preview WeChat pushes.")


def _system_only(push: Push, user):
    if user is SYSTEM:
        return None
    return _("Only the system moves a push through its sending.")


@dataclass(frozen=True)
class PushMove:
    """One move of a push: from `sources` to `target` (None: it stays where it is)."""

    name: str
    sources: frozenset
    target: str | None
    refusal: Callable  # (push, user) -> why `user` may not, or None when he may
    event: str  # the PushEventKind of the timeline line it writes
    label: str = ""  # the admin's button; the system's moves have none


_ALL = frozenset(PushState.values)

MOVES = {
    move.name: move
    for move in (
        # The people's moves, before the push is under way.
        PushMove("change", frozenset({PushState.DRAFT}), PushState.DRAFT, _may_change,
                 PushEventKind.CHANGED),
        PushMove("approve", frozenset({PushState.DRAFT}), PushState.APPROVED, _may_approve,
                 PushEventKind.APPROVED, _("Approve the push")),
        # An approved push whose send time moves goes back to awaiting approval.
        PushMove("schedule", frozenset(NOT_STARTED_STATES), PushState.DRAFT, _may_schedule,
                 PushEventKind.SCHEDULED),
        PushMove("cancel", frozenset(NOT_STARTED_STATES), PushState.CANCELLED, _may_cancel,
                 PushEventKind.CANCELLED, _("Cancel the push")),
        PushMove("preview", _ALL - FINAL_STATES, None, _may_preview,
                 PushEventKind.PREVIEWED, _("Send a preview to my WeChat")),
        # The system's moves: the send pipeline and WeChat's notices.
        PushMove("start", frozenset({PushState.APPROVED}), PushState.UPLOADING, _system_only,
                 PushEventKind.UPLOADING),
        PushMove("create_draft", frozenset({PushState.UPLOADING}), PushState.DRAFT_CREATED,
                 _system_only, PushEventKind.DRAFT_CREATED),
        PushMove("send", frozenset({PushState.DRAFT_CREATED}), PushState.SENT, _system_only,
                 PushEventKind.SENT),
        PushMove("publish", frozenset({PushState.DRAFT_CREATED}), PushState.SENT, _system_only,
                 PushEventKind.PUBLISHING),
        PushMove("finish", frozenset({PushState.SENT}), PushState.FINISHED, _system_only,
                 PushEventKind.FINISHED),
        PushMove("fail", frozenset(ACTIVE_STATES), PushState.FAILED, _system_only,
                 PushEventKind.FAILED),
    )
}  # fmt: skip


def state_error(state: str) -> TransitionError:
    """The refusal of a move from `state`, saying where the push is."""
    message = _STATE_MESSAGES.get(state, _("This push cannot change now."))
    return TransitionError(message, state=state)


def check_who(push: Push, name: str, *, by) -> PushMove:
    """The move `name` if `by` may make it, whatever the push's state. Raises NotAllowedError."""
    move_ = MOVES[name]
    refusal = move_.refusal(push, by)
    if refusal is not None:
        raise NotAllowedError(refusal)
    return move_


def check(push: Push, name: str, *, by) -> PushMove:
    """The move `name` if `by` may make it on the push as it is now. Raises NotAllowedError
    (who may), then TransitionError (not from this state)."""
    move_ = check_who(push, name, by=by)
    if push.state not in move_.sources:
        raise state_error(push.state)
    return move_


def allowed_moves(*, push: Push, user) -> list[PushMove]:
    """The people's moves (those with a button) that `user` may make on the push now."""
    return [
        m
        for m in MOVES.values()
        if m.label and push.state in m.sources and m.refusal(push, user) is None
    ]


def editable(push: Push | None) -> bool:
    """Whether the push's items, mode and audience may still change (a new push may)."""
    return push is None or push.state in MOVES["change"].sources


def record(push: Push, kind: str, *, by, detail: str = "", **data) -> PushEvent:
    """A line of the push's timeline; `by` is the person who acted, or SYSTEM."""
    return PushEvent.objects.create(
        push=push, kind=kind, user=by if is_person(by) else None, detail=str(detail), data=data
    )


def move(push: Push, name: str, *, by, detail: str = "", **data) -> PushEvent:
    """Make the move `name` on a locked push: check it (see `check`), put the push in the
    move's target state, save it with whatever else the caller set, and write the move's
    timeline line (returned)."""
    move_ = check(push, name, by=by)
    if move_.target is not None:
        push.state = move_.target
    push.save()
    push_id = push.pk
    transaction.on_commit(
        lambda: push_moved.send_robust(sender=Push, push_id=push_id, move=name), robust=True
    )
    return record(push, move_.event, by=by, detail=detail, **data)


def fail(push: Push, *, error: Exception | None = None, message: str = "") -> None:
    """Mark a locked push failed with its reason (a system move)."""
    push.finished_at = timezone.now()
    push.next_run_at = None
    push.lease_token, push.lease_until = "", None
    if isinstance(error, WeChatError):
        push.error_code = error.errcode
        push.error_message = error.user_message
    elif error is not None:
        push.error_message = str(error)
    else:
        push.error_message = message
    move(
        push,
        "fail",
        by=SYSTEM,
        detail=push.error_message,
        errcode=push.error_code,
        errmsg=getattr(error, "errmsg", ""),
    )


def finish(push: Push, *, detail: str = "", **data) -> None:
    """Mark a locked, sent push finished (a system move)."""
    push.finished_at = timezone.now()
    push.next_run_at = None
    push.lease_token, push.lease_until = "", None
    move(push, "finish", by=SYSTEM, detail=detail, **data)
