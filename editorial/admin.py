"""The admin side of the editorial workflow, shared by every content type.

`EditorialAdminMixin` gives a content ModelAdmin the status badge, the workflow filters, the
transition buttons, review comments, the audit trail, revision history with diffs and a preview.
Every change of state goes through `editorial.services`; the admin only turns the services'
errors into messages. The review queue is served by the audit-log admin registered here.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.names import display_name

from . import selectors, services, workflow
from .actors import is_reviewer
from .admin_workflow import (
    BUTTONS,
    NEXT_STEPS,
    ReviewCommentForm,
    form_errors,
    is_locked,
    last_rejection,
    lock_reason,
    open_comments,
    state_badge,
)
from .errors import EditorialError
from .html import sanitize_html
from .models import AuditEntry, State
from .publishing import PUBLISHABLE_STATES, item_key, item_preflight

# After these transitions the editor is told what WeChat would refuse, before anything is sent.
PREFLIGHT_TRANSITIONS = {workflow.SUBMIT.name, workflow.APPROVE.name}


def admin_change_url(item) -> str:
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])


class WorkflowQueueFilter(admin.SimpleListFilter):
    """The four piles people work from: my drafts, my review queue, scheduled, sent back."""

    title = _("my work")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("my_drafts", _("My drafts")),
            ("to_review", _("Waiting for my review")),
            ("scheduled", _("Scheduled")),
            ("sent_back", _("Sent back")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "my_drafts":
            return queryset.filter(state=State.DRAFT, created_by=request.user)
        if value == "to_review":
            return queryset.filter(state=State.SUBMITTED).exclude(created_by=request.user)
        if value == "scheduled":
            return queryset.filter(state=State.SCHEDULED)
        if value == "sent_back":
            return queryset.filter(state=State.REJECTED)
        return queryset


class EditorialAdminMixin:
    """Mix into a ModelAdmin of an `EditorialItem` subclass, before `admin.ModelAdmin`.

    Subclasses list `status_badge` in `list_display` and their own filters in `list_filter`
    (the workflow filters and the state filter are put first). Saving the form goes through
    `services.item_save`, so a revision is kept and edits in a locked state are refused.
    """

    change_form_template = "admin/editorial/item_change_form.html"
    change_list_template = "admin/editorial/item_change_list.html"
    actions = ["approve_selected"]
    editorial_readonly_fields = ("state", "published_at", "created_by", "created_at", "updated_at")
    # Templates tried, in order, for the "as on the site" preview; the first that exists wins.
    public_preview_templates: tuple[str, ...] = ()

    def view_on_site(self, obj):
        # Only a published item has a public page; the others 404 there, so link the preview.
        return obj.get_absolute_url() if obj.is_public else None

    # List

    @admin.display(description=_("state"), ordering="state")
    def status_badge(self, obj):
        return state_badge(obj)

    @admin.display(description=_("created by"), ordering="created_by__username")
    def editor_name(self, obj):
        # 林晓舟, as people write names, not the login (list_select_related: created_by).
        return display_name(obj.created_by) or None

    @admin.display(description=_("publish at"), ordering="published_at")
    def publication(self, obj):
        """When the item went out, or, in a quieter grey, when it is due to (one column)."""
        if obj.published_at:
            return date_format(timezone.localtime(obj.published_at), "SHORT_DATETIME_FORMAT")
        if obj.publish_at:
            due = date_format(timezone.localtime(obj.publish_at), "SHORT_DATETIME_FORMAT")
            return format_html('<span class="quiet">{}</span>', gettext("due %s") % due)
        return None

    def get_list_filter(self, request):
        own = [f for f in super().get_list_filter(request) if f != "state"]
        return [WorkflowQueueFilter, "state", *own]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        extra = [*self.editorial_readonly_fields]
        if obj is not None and is_locked(obj):
            extra.append("rendered_body")
        return fields + [f for f in extra if f not in fields]

    def has_change_permission(self, request, obj=None):
        # A submission is frozen while it is reviewed. Without the change permission for it,
        # Django shows the form read-only, inlines included, without save buttons, and refuses
        # a POST to it; its author takes it back (the recall button) to change it.
        if obj is not None and is_locked(obj):
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("body"))
    def rendered_body(self, obj):
        # A read-only rich text shows as the page shows it, not as escaped HTML source.
        return mark_safe(sanitize_html(obj.body))  # noqa: S308 - sanitized just above

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and is_locked(obj):
            fieldsets = [
                (name, {**options, "fields": _rendered(options.get("fields", ()))})
                for name, options in fieldsets
            ]
        if not self.fieldsets:
            return fieldsets
        shown = {name for _name, options in fieldsets for name in _flat(options)}
        missing = [f for f in self.editorial_readonly_fields if f not in shown]
        if missing:
            fieldsets.append((_("Workflow"), {"fields": missing, "classes": ["collapse"]}))
        return fieldsets

    # Saving

    def save_model(self, request, obj, form, change):
        """Nothing here: the item is saved in `save_related`, with its inlines, by the service."""

    def save_related(self, request, form, formsets, change):
        """Save the item and its inlines through `services.item_save`, in one revision.

        A change to the fields or to an inline the model counts as content (`revision_related`,
        e.g. an article's photos) is a content change: it keeps a revision and an audit entry,
        and takes an approved or published item back into draft for a new review. Changes to
        other inlines alone save without touching the item. A refusal propagates as an
        `EditorialError`, caught in `changeform_view` after the transaction has rolled back.
        """
        item = form.instance
        content_models = {
            item._meta.get_field(name).related_model for name in item.revision_related
        }
        content_changed = (
            not change
            or form.has_changed()
            or any(fs.has_changed() for fs in formsets if fs.model in content_models)
        )
        if not content_changed:
            super().save_related(request, form, formsets, change)
            return
        # The form has already put its values on the item; the service keeps the stored
        # workflow fields and sets created_by on a new item.
        was_public = change and item.state in workflow.LEAVES_SITE_ON_EDIT_STATES
        services.item_save(
            item=item,
            by=request.user,
            save_related=lambda saved: super(EditorialAdminMixin, self).save_related(
                request, form, formsets, change
            ),
        )
        if was_public:
            self.message_user(
                request,
                gettext(
                    "“%(title)s” has been taken off the site and is a draft again: submit it "
                    "for review to publish your changes."
                )
                % {"title": item.title},
                messages.WARNING,
            )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id:
            # Django would answer a bare 403 (no change permission on a locked item): say why
            # and show the item again, with its panel saying what can be done.
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and is_locked(obj):
                self.message_user(request, str(workflow.state_error(obj.state)), messages.ERROR)
                return redirect(self._url("change", obj))
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
            if object_id:
                return redirect(
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                        args=[object_id],
                    )
                )
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )

    # Change form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            context.update(self.editorial_context(request, obj))
        return super().change_view(request, object_id, form_url, context)

    def editorial_context(self, request, obj) -> dict:
        """What the change form shows around the fields: at the top, the state, what happens
        next, the reason it was sent back, the reviewers' open comments, why it is locked and
        the buttons; below, all comments and the audit trail."""
        allowed = workflow.allowed(obj, request.user)
        buttons = [
            {
                "transition": transition,
                "style": BUTTONS[transition.name].style,
                "url": self._url("workflow", obj, transition.name),
                "form": BUTTONS[transition.name].form_class(prefix=transition.name)
                if BUTTONS[transition.name].form_class
                else None,
            }
            for transition in allowed
        ]
        can_comment = is_reviewer(request.user)
        trail = list(selectors.audit_trail(item=obj))
        return {
            "editorial_next_step": NEXT_STEPS.get(obj.state, ""),
            "editorial_lock_reason": lock_reason(allowed) if is_locked(obj) else "",
            "editorial_rejection": last_rejection(obj, trail),
            "editorial_open_comments": open_comments(obj, trail),
            "editorial_item": obj,
            "editorial_badge": state_badge(obj),
            "editorial_buttons": buttons,
            "editorial_comments": selectors.review_comments(item=obj),
            "editorial_comment_form": ReviewCommentForm() if can_comment else None,
            "editorial_comment_url": self._url("comment", obj),
            "editorial_audit_trail": trail,
            "editorial_preview_url": self._url("preview", obj),
            "editorial_preflight": item_preflight(obj),
            "editorial_push_url": self._push_url(request, obj),
            "editorial_revisions_url": self._url("revisions", obj),
        }

    # Extra views

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"

        def route(pattern, view, name):
            return path(pattern, self.admin_site.admin_view(view), name=f"{prefix}_{name}")

        # Before the model's own URLs, whose "<path:object_id>/" would swallow these.
        return [
            route("<path:object_id>/workflow/<str:name>/", self.transition_view, "workflow"),
            route("<path:object_id>/comment/", self.comment_view, "comment"),
            route("<path:object_id>/revisions/", self.revisions_view, "revisions"),
            route(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                self.restore_view,
                "restore",
            ),
            route("<path:object_id>/preview/", self.preview_view, "preview"),
            route("<path:object_id>/preview/public/", self.public_preview_view, "public_preview"),
            *super().get_urls(),
        ]

    def _push_url(self, request, obj) -> str:
        """The publishing channel's "push this item" page, when one is installed and allowed."""
        if obj.state not in PUBLISHABLE_STATES or not request.user.has_perm("wechat.add_push"):
            return ""
        try:
            return reverse("admin:wechat_push_single", args=[item_key(obj)])
        except NoReverseMatch:
            return ""

    def _url(self, view: str, obj, *args) -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"
        return reverse(name, args=[obj.pk, *args])

    def _get_viewable(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No such item."))
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def transition_view(self, request, object_id, name):
        """Run one workflow transition from its button; errors come back as messages."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        transition = BUTTONS.get(name)
        if transition is None:
            raise Http404(gettext("No such action."))
        obj = self._get_viewable(request, object_id)
        back = redirect(self._url("change", obj))
        kwargs = {}
        if transition.form_class:
            form = transition.form_class(request.POST, prefix=name)
            if not form.is_valid():
                self.message_user(request, form_errors(form), messages.ERROR)
                return back
            kwargs = form.cleaned_data
        try:
            item = transition.service(item=obj, by=request.user, **kwargs)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
            return back
        self.message_user(
            request,
            gettext("“%(title)s” is now: %(state)s.")
            % {"title": item.title, "state": item.get_state_display()},
            messages.SUCCESS,
        )
        if name in PREFLIGHT_TRANSITIONS:
            # Tell the editor now what the publishing channels (WeChat) would refuse later.
            for problem in item_preflight(item):
                self.message_user(
                    request,
                    gettext("WeChat would refuse this item: %(problem)s") % {"problem": problem},
                    messages.WARNING,
                )
        return back

    def comment_view(self, request, object_id):
        """Add a reviewer's comment to the item."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_viewable(request, object_id)
        form = ReviewCommentForm(request.POST)
        if not form.is_valid():
            self.message_user(request, form_errors(form), messages.ERROR)
        else:
            try:
                services.item_comment(item=obj, by=request.user, body=form.cleaned_data["body"])
            except EditorialError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, gettext("Comment added."), messages.SUCCESS)
        return redirect(self._url("change", obj) + "#editorial-comments")

    def revisions_view(self, request, object_id):
        """The item's revisions, newest first, and the diff between the two chosen ones."""
        obj = self._get_viewable(request, object_id)
        revisions = list(selectors.revisions(item=obj))
        by_id = {str(r.pk): r for r in revisions}
        older = by_id.get(request.GET.get("a", ""))
        newer = by_id.get(request.GET.get("b", ""))
        if older is None and newer is None and len(revisions) >= 2:
            older, newer = revisions[1], revisions[0]
        diff = None
        if older is not None and newer is not None:
            if older.created_at > newer.created_at or (
                older.created_at == newer.created_at and older.pk > newer.pk
            ):
                older, newer = newer, older
            diff = selectors.revision_diff(old=older, new=newer)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Revisions of “%(title)s”") % {"title": obj.title},
            "original": obj,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "diff": diff,
            "can_restore": self.has_change_permission(request, obj)
            and obj.state in workflow.EDITABLE_STATES,
            "change_url": self._url("change", obj),
        }
        return TemplateResponse(request, "admin/editorial/revisions.html", context)

    def restore_view(self, request, object_id, revision_id):
        """Copy a revision back into the item as a new draft."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_viewable(request, object_id)
        revision = selectors.revisions(item=obj).filter(pk=revision_id).first()
        if revision is None:
            raise Http404(gettext("No such revision."))
        try:
            services.revision_restore(revision=revision, by=request.user)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(self._url("revisions", obj))
        self.message_user(
            request,
            gettext("Revision of %(date)s restored as a new draft.")
            % {"date": timezone.localtime(revision.created_at).strftime("%Y-%m-%d %H:%M")},
            messages.SUCCESS,
        )
        return redirect(self._url("change", obj))

    def preview_view(self, request, object_id):
        """The item as the site shows it (in a frame) and as a WeChat reader sees it."""
        obj = self._get_viewable(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Preview of “%(title)s”") % {"title": obj.title},
            "original": obj,
            "item": obj,
            "public_preview_url": self._url("public_preview", obj),
            "change_url": self._url("change", obj),
            "account_name": request_site_name(),
            "wechat_author": getattr(obj, "author", "") or "",
            "wechat_date": obj.published_at or obj.publish_at or timezone.now(),
        }
        return TemplateResponse(request, "admin/editorial/preview.html", context)

    def public_preview_view(self, request, object_id):
        """The public detail template rendered for this item, whatever its state."""
        obj = self._get_viewable(request, object_id)
        opts = self.opts
        names = [
            *self.public_preview_templates,
            f"{opts.app_label}/{opts.model_name}_detail.html",
            "admin/editorial/public_preview_fallback.html",
        ]
        template = select_template(names)
        context = {"object": obj, opts.model_name: obj, "item": obj, "is_preview": True}
        context.update(self.public_preview_context(request, obj))
        return TemplateResponse(request, template, context)

    def public_preview_context(self, request, obj) -> dict:
        """Extra context the public detail template needs; content admins may add to it."""
        return {}

    # Actions

    def has_review_permission(self, request):
        return is_reviewer(request.user)

    @admin.action(description=_("Approve selected items"), permissions=["review"])
    def approve_selected(self, request, queryset):
        """Approve each selected item on its own; report the ones refused and why."""
        approved, refused = 0, []
        for item in queryset:
            try:
                services.item_approve(item=item, by=request.user)
            except EditorialError as error:
                refused.append(f"“{item.title}”: {error}")
            else:
                approved += 1
        if approved:
            self.message_user(
                request,
                ngettext("%(count)d item approved.", "%(count)d items approved.", approved)
                % {"count": approved},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                gettext("Not approved: %(items)s") % {"items": "; ".join(refused)},
                messages.WARNING,
            )


def request_site_name() -> str:
    from django.conf import settings

    return settings.SITE_NAME or gettext("Alumni Association")


def _rendered(fields) -> list:
    """`fields` with the rich text shown rendered (`rendered_body`) instead of as its source."""
    return [
        _rendered(entry)
        if isinstance(entry, (list, tuple))
        else ("rendered_body" if entry == "body" else entry)
        for entry in fields
    ]


def _flat(options: dict) -> list[str]:
    names = []
    for entry in options.get("fields", ()):
        names.extend(entry if isinstance(entry, (list, tuple)) else [entry])
    return names


# What the audit log's action codes mean, for the office (the list showed the codes themselves,
# editorial.item.approved); a code not listed here is shown as it is.
AUDIT_ACTIONS = {
    "editorial.item.created": _("Item created"),
    "editorial.item.imported": _("Item imported"),
    "editorial.item.submitted": _("Item submitted for review"),
    "editorial.item.approved": _("Item approved"),
    "editorial.item.rejected": _("Item sent back"),
    "editorial.item.published": _("Item published"),
    "editorial.item.scheduled": _("Item scheduled for publication"),
    "editorial.item.withdrawn": _("Item withdrawn"),
    "editorial.item.recalled": _("Submission recalled"),
    "editorial.item.reopened": _("Item reopened as a draft"),
    "editorial.revision.restored": _("Earlier version restored"),
    "donations.gift.created": _("Gift recorded"),
    "donations.gift.changed": _("Gift changed"),
    "donations.gift.deleted": _("Gift deleted"),
    "payments.discrepancy.resolved": _("Reconciliation difference resolved"),
    "payments.refund.requested": _("Refund requested"),
    "payments.refund.approved": _("Refund approved"),
    "payments.refund.rejected": _("Refund rejected"),
}


def audit_action_label(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


class AuditActionFilter(admin.SimpleListFilter):
    """Filter by action, named as the list names them."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
        return [(code, audit_action_label(code)) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The office's read-only audit log, and the host of the cross-type review queue."""

    list_display = ("created_at", "action_label", "item_link", "from_state", "to_state", "by")
    list_filter = (AuditActionFilter, "to_state", "content_type")
    search_fields = ("action", "comment", "user__username", "user__last_name", "user__first_name")
    date_hierarchy = "created_at"
    list_select_related = ("user", "content_type")

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        return audit_action_label(obj.action)

    @admin.display(description=_("By"), ordering="user__last_name")
    def by(self, obj):
        return display_name(obj.user) or gettext("Scheduler")

    @admin.display(description=_("item"))
    def item_link(self, obj):
        content_type = obj.content_type
        label = f"{content_type.name} #{obj.object_id}"
        try:
            url = reverse(
                f"admin:{content_type.app_label}_{content_type.model}_change",
                args=[obj.object_id],
            )
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "review-queue/",
                self.admin_site.admin_view(self.review_queue_view),
                name="editorial_review_queue",
            ),
            *super().get_urls(),
        ]

    def review_queue_view(self, request):
        """Everything awaiting review, across the four content types, oldest first."""
        # Everything waiting; the ones this user may not approve (their own, or changed by
        # them since the last approval) are marked.
        items = selectors.items_awaiting_review()
        reviewer = is_reviewer(request.user)
        approvable = {
            (item._meta.label, item.pk)
            for item in selectors.items_awaiting_review(user=request.user)
        }
        rows = [
            {
                "item": item,
                "type": item._meta.verbose_name,
                "badge": state_badge(item),
                "url": admin_change_url(item),
                "own": reviewer and (item._meta.label, item.pk) not in approvable,
            }
            for item in items
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Review queue"),
            "rows": rows,
            "is_reviewer": reviewer,
        }
        return TemplateResponse(request, "admin/editorial/review_queue.html", context)
