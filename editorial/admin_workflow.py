"""What the admin shows of the workflow: state badges, what happens next, the transition
buttons and their forms, and what the top of a change form says about a locked or sent-back item.

`editorial.admin` builds its pages from these; the transitions themselves are declared in
`editorial.workflow` and carried out by `editorial.services`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import selectors, services, workflow
from .models import AuditEntry, State

# Badge colours chosen to read as traffic lights: grey drafts, amber waiting, green public.
STATE_COLOURS = {
    State.DRAFT: "#6b7280",
    State.SUBMITTED: "#b45309",
    State.APPROVED: "#0e7490",
    State.SCHEDULED: "#6d28d9",
    State.PUBLISHED: "#15803d",
    State.REJECTED: "#b91c1c",
    State.WITHDRAWN: "#374151",
}


# What the person looking at an item must know first, by its state: where it stands and what
# happens next. Shown at the top of the change form, above the fields.
NEXT_STEPS = {
    State.DRAFT: _("Draft: when it is ready, submit it for review."),
    State.SUBMITTED: _(
        "Awaiting review: a reviewer approves it or sends it back. Its content is locked "
        "until then."
    ),
    State.APPROVED: _("Approved: it is published or scheduled next."),
    State.SCHEDULED: _(
        "Scheduled: it is published at the set time. Saving any change (photos included) "
        "takes it out of the schedule and back to draft until it is approved again."
    ),
    State.PUBLISHED: _(
        "Published: saving any change (photos included) takes it off the site and back to "
        "draft until it is approved again."
    ),
    State.REJECTED: _("Sent back: change it as the reviewers ask, then submit it again."),
    State.WITHDRAWN: _(
        "Withdrawn: it is off the site. Publish it again, or change it and submit it for review."
    ),
}


def is_locked(item) -> bool:
    """Whether the item's content is frozen in its state (a submission under review)."""
    return item.pk is not None and item.state not in workflow.EDITABLE_STATES


def state_badge(item) -> str:
    """The item's state as a coloured label."""
    return format_html(
        '<span class="editorial-badge" data-state="{}" style="background:{}">{}</span>',
        item.state,
        STATE_COLOURS.get(item.state, "#6b7280"),
        item.get_state_display(),
    )


# Forms for the transitions that take input; the others post nothing but the CSRF token.


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    # Not required here: the service judges the reason (after the permission), in one message.
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("Choose when to publish it.")},
    )


class ReviewCommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@dataclass(frozen=True)
class Button:
    """How the admin offers one transition of `editorial.workflow`: the service it calls, the
    form it posts (if any) and its style. Which buttons show, and their labels, come from the
    workflow table."""

    service: Callable
    form_class: type[forms.Form] | None = None
    style: str = ""


BUTTONS = {
    workflow.SUBMIT.name: Button(services.item_submit, CommentForm, "default"),
    workflow.RECALL.name: Button(services.item_recall, None, "default"),
    workflow.APPROVE.name: Button(services.item_approve, CommentForm, "default"),
    workflow.REJECT.name: Button(services.item_reject, RejectForm, "danger"),
    workflow.SCHEDULE.name: Button(services.item_schedule, ScheduleForm),
    workflow.PUBLISH.name: Button(services.item_publish, None, "default"),
    workflow.WITHDRAW.name: Button(services.item_withdraw, WithdrawForm, "danger"),
}


def form_errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def lock_reason(allowed: list[workflow.Transition]) -> str:
    """Why a locked item cannot be changed, and what the person offered `allowed` can do."""
    names = {t.name for t in allowed}
    if workflow.RECALL.name in names:
        return gettext(
            "To change it, take it back first: it becomes a draft again and leaves the "
            "review queue."
        )
    if workflow.APPROVE.name in names or workflow.REJECT.name in names:
        return gettext(
            "Its content cannot be changed during review: approve it, or send it back "
            "with a reason."
        )
    return gettext("Its content cannot be changed during review; its author can take it back.")


def last_rejection(obj, trail: list[AuditEntry]) -> AuditEntry | None:
    """The audit entry of the rejection that sent the item back, while it is sent back."""
    if obj.state != State.REJECTED:
        return None
    return next((e for e in trail if e.action == workflow.REJECT.action), None)


def open_comments(obj, trail: list[AuditEntry]) -> list:
    """The reviewers' comments on the item's latest submission (all, if never submitted),
    oldest first; the rejection's reason, shown on its own, is left out."""
    submitted = next((e for e in trail if e.action == workflow.SUBMIT.action), None)
    rejection = last_rejection(obj, trail)
    comments = selectors.review_comments(item=obj)
    if submitted is not None:
        comments = comments.filter(created_at__gte=submitted.created_at)
    return [
        c
        for c in comments
        if rejection is None
        or (c.body.strip(), c.author_id) != (rejection.comment.strip(), rejection.user_id)
    ]
