"""A push's states, the refusal a move from the wrong one gets, its timeline, its two endings."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.actors import is_person
from editorial.errors import TransitionError

from ..errors import WeChatError
from ..models import Push, PushEvent, PushEventKind, PushState

ACTIVE_STATES = (PushState.APPROVED, PushState.UPLOADING, PushState.DRAFT_CREATED, PushState.SENT)
NOT_STARTED_STATES = (PushState.DRAFT, PushState.APPROVED)

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


def state_error(state: str) -> TransitionError:
    message = _STATE_MESSAGES.get(state, _("This push cannot change now."))
    return TransitionError(message, state=state)


def record(push: Push, kind: str, *, by=None, detail: str = "", **data) -> PushEvent:
    return PushEvent.objects.create(
        push=push, kind=kind, user=by if is_person(by) else None, detail=str(detail), data=data
    )


def fail(push: Push, *, error: Exception | None = None, message: str = "") -> None:
    """Mark a locked push failed with its reason."""
    push.state = PushState.FAILED
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
    push.save()
    record(
        push,
        PushEventKind.FAILED,
        detail=push.error_message,
        errcode=push.error_code,
        errmsg=getattr(error, "errmsg", ""),
    )


def finish(push: Push, *, detail: str = "", **data) -> None:
    push.state = PushState.FINISHED
    push.finished_at = timezone.now()
    push.next_run_at = None
    push.lease_token, push.lease_until = "", None
    push.save()
    record(push, PushEventKind.FINISHED, detail=detail, **data)
