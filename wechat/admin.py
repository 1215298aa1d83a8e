from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.names import display_name
from core.queueing import unqueued
from editorial.errors import EditorialError
from editorial.publishing import item_by_key, item_preflight

from .errors import WeChatError
from .forms import PushForm, PushItemForm, PushItemFormSet, PushOptionsForm
from .gateway import ARTICLES_MAX
from .models import CallbackEvent, Push, PushItem, PushMode, PushState
from .picker import SearchTermError, clean_search_term, items_search, picker_items_of
from .preview_views import preview_link_context
from .progress import push_progress
from .selectors import mass_quota, push_item_problems
from .services import (
    allowed_moves,
    editable,
    push_approve,
    push_cancel,
    push_preview,
    push_save,
    push_single,
)
from .urlcheck import is_wechat_url

# WeChat is being handed the push: its page is for following that, not for previewing.
SENDING_STATES = (PushState.UPLOADING, PushState.DRAFT_CREATED, PushState.SENT)


@admin.register(CallbackEvent)
class CallbackEventAdmin(admin.ModelAdmin):
    """What WeChat pushed, read-only (wechat_emulator links its page here when it is on)."""

    list_display = ("received_at", "event_name", "msg_id", "publish_id", "from_user", "processed")
    list_filter = ("event", "msg_type", "processed")
    search_fields = ("msg_id", "publish_id", "from_user")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in CallbackEvent._meta.fields]

    @admin.display(description=_("event"), ordering="event")
    def event_name(self, obj):
        return obj.event or obj.msg_type

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


QUEUE_DOWN_MESSAGE = _(
    "Approved. The task queue is unavailable right now; the scheduler will send the push "
    "within a few minutes of it coming back."
)

PUSH_STATE_COLOURS = {
    PushState.DRAFT: "#b45309",
    PushState.APPROVED: "#0e7490",
    PushState.UPLOADING: "#6d28d9",
    PushState.DRAFT_CREATED: "#6d28d9",
    PushState.SENT: "#1d4ed8",
    PushState.FINISHED: "#15803d",
    PushState.FAILED: "#b91c1c",
    PushState.CANCELLED: "#6b7280",
}


class PushItemInline(admin.TabularInline):
    """The push's items in order: pick approved items of any module and number them."""

    model = PushItem
    form = PushItemForm
    formset = PushItemFormSet
    extra = 0
    max_num = ARTICLES_MAX
    verbose_name = _("item")
    verbose_name_plural = _("items (1 to 8, in the order given by position)")

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else 1

    def get_fields(self, request, obj=None):
        if editable(obj):
            return ["position", "item_key"]
        return ["position", "title", "article_link"]

    def get_readonly_fields(self, request, obj=None):
        if editable(obj):
            return []
        return ["position", "title", "article_link"]

    @admin.display(description=_("article in WeChat"))
    def article_link(self, obj):
        if not obj.article_url:
            return "—"
        if not is_wechat_url(obj.article_url):
            # Stored before callbacks were checked (wechat.urlcheck): shown, never a link.
            return obj.article_url[:60]
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            obj.article_url,
            obj.article_url[:60],
        )

    def _may_compose(self, request, obj) -> bool:
        if not editable(obj):
            return False
        return request.user.has_perm("wechat.add_push" if obj is None else "wechat.change_push")

    def has_add_permission(self, request, obj=None):
        return self._may_compose(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_compose(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and self._may_compose(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("wechat.view_push")


class PushItemPickerInline(PushItemInline):
    """The items of a push being composed, chosen in the item picker: search every module,
    pick, order with the arrows (the rows' keys and positions are kept in hidden fields)."""

    template = "admin/wechat/push/item_picker.html"


class PushComposeForm(PushForm):
    """The compose form: a push whose mode was left out (or blank) is a mass send, the
    model's default, instead of failing with "required"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "mode" in self.fields:
            self.fields["mode"].required = False

    def clean_mode(self):
        return self.cleaned_data.get("mode") or PushMode.MASS


@admin.register(Push)
class PushAdmin(admin.ModelAdmin):
    """Compose a push, preview it, have a reviewer approve it, follow its sending."""

    form = PushComposeForm
    inlines = [PushItemInline]
    change_form_template = "admin/wechat/push/change_form.html"
    list_display = (
        "__str__",
        "mode",
        "audience_display",
        "send_at",
        "state_badge",
        "counts",
        "author",
    )
    list_filter = ("state", "mode")
    list_select_related = ("created_by",)
    search_fields = ("title", "msg_id", "publish_id")
    date_hierarchy = "created_at"
    wechat_fields = ("status", "approver", "approved_at", "sent_at", "finished_at")
    # WeChat's ids, for whoever traces a push with WeChat: folded away (a <details>).
    technical_fields = (
        "draft_media_id",
        "client_msg_id",
        "msg_id",
        "msg_data_id",
        "publish_id",
        "article_id",
        "preview_media_id",
    )

    # List

    # People by their names, as the progress log and the header name them (not the login).
    @admin.display(description=_("created by"), ordering="created_by")
    def author(self, obj):
        return display_name(obj.created_by) or "—"

    @admin.display(description=_("approved by"))
    def approver(self, obj):
        return display_name(obj.approved_by) or "—"

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj):
        return format_html(
            '<span class="editorial-badge push-state" data-state="{}" style="background:{}">'
            "{}</span>",
            obj.state,
            PUSH_STATE_COLOURS.get(obj.state, "#6b7280"),
            obj.get_state_display(),
        )

    @admin.display(description=_("audience"))
    def audience_display(self, obj):
        return obj.audience_label

    @admin.display(description=_("delivered / targeted"))
    def counts(self, obj):
        if obj.sent_count is None:
            return "—"
        return f"{obj.sent_count} / {obj.total_count}"

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.status_text

    # Form

    def get_inlines(self, request, obj):
        return [PushItemPickerInline] if editable(obj) else [PushItemInline]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        for inline_formset in context.get("inline_admin_formsets", []):
            if isinstance(inline_formset.opts, PushItemPickerInline):
                context["push_picker"] = self.picker_context(inline_formset.formset)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def picker_context(self, formset) -> dict:
        """What the item picker starts from: the rows as saved or as posted, in order."""
        rows = []
        for n, form in enumerate(formset.forms):
            key = form["item_key"].value()
            deleted = formset.can_delete and form["DELETE"].value()
            if key and not deleted:
                rows.append((_position(form["position"].value()), n, key))
        keys = [key for _position_, _n, key in sorted(rows)]
        return {
            "chosen": [item.as_json() for item in picker_items_of(keys)],
            "initial_ids": [str(form["id"].value() or "") for form in formset.initial_forms],
            "initial_keys": [str(form["item_key"].value() or "") for form in formset.initial_forms],
            "max": ARTICLES_MAX,
        }

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["mode", "audience", "send_at"]})]
        if not editable(obj):
            fieldsets = [(None, {"fields": ["mode", "audience_display", "send_at", "version"]})]
            fieldsets.append((_("WeChat"), {"fields": list(self.wechat_fields)}))
            fieldsets.append(
                (
                    _("Technical details"),
                    {"fields": list(self.technical_fields), "classes": ["collapse"]},
                )
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if editable(obj):
            return []
        return [
            "mode",
            "audience_display",
            "send_at",
            "version",
            *self.wechat_fields,
            *self.technical_fields,
        ]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.state in (PushState.DRAFT, PushState.CANCELLED)
        )

    def save_model(self, request, obj, form, change):
        # Saved with its items in save_related, by the service, once the inline is known.
        pass

    def save_related(self, request, form, formsets, change):
        [items] = [f for f in formsets if isinstance(f, PushItemFormSet)]
        push = push_save(push=form.instance, by=request.user, keys=items.ordered_keys())
        # What the admin's change message reads from a saved formset.
        items.new_objects, items.changed_objects, items.deleted_objects = [], [], []
        items.instance = push

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        context = {**(extra_context or {}), **self.push_context(request, object_id)}
        try:
            return super().changeform_view(request, object_id, form_url, context)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
            if object_id:
                return redirect("admin:wechat_push_change", object_id)
            return redirect("admin:wechat_push_changelist")

    def push_context(self, request, object_id) -> dict:
        """Quota, status, buttons, timeline and problems shown around the form. The buttons are
        the moves of the workflow table (wechat.services.workflow) the user may make now."""
        context = {"push_quota": mass_quota()}
        push = self.get_object(request, unquote(object_id)) if object_id else None
        if push is None:
            return context
        user = request.user
        context.update(
            push=push,
            push_status=push.status_text,
            push_events=push.events.select_related("user"),
            push_problems=push_item_problems(push=push) if editable(push) else [],
            push_buttons={move.name: move for move in allowed_moves(push=push, user=user)},
            push_sending=push.state in SENDING_STATES,
        )
        if "preview" in context["push_buttons"]:
            context.update(preview_link_context(request))  # the preview section's link panel
        context.update(self.progress_context(request, push))
        return context

    # Buttons

    def get_urls(self):
        def view(fn, name, route):
            return path(route, self.admin_site.admin_view(fn), name=f"wechat_push_{name}")

        return [
            view(self.approve_view, "approve", "<path:object_id>/approve/"),
            view(self.cancel_view, "cancel", "<path:object_id>/cancel/"),
            view(self.preview_view, "preview", "<path:object_id>/preview/"),
            view(self.single_view, "single", "single/<str:key>/"),
            view(self.progress_view, "progress", "<path:object_id>/progress/"),
            view(self.items_search_view, "items_search", "items/search/"),
            *super().get_urls(),
        ]

    def _act(self, request, object_id, act) -> HttpResponseRedirect:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        push = self.get_object(request, unquote(object_id))
        if push is None:
            raise Http404
        try:
            message = act(push)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
        except WeChatError as error:
            self.message_user(request, error.user_message, messages.ERROR)
        else:
            message, level = message if isinstance(message, tuple) else (message, messages.SUCCESS)
            self.message_user(request, message, level)
        return redirect("admin:wechat_push_change", push.pk)

    def approve_view(self, request, object_id):
        def act(push):
            comment = request.POST.get("comment", "")
            with unqueued() as missed:
                push = push_approve(push=push, by=request.user, comment=comment)
            if missed:
                # The approval is saved; only its hand-over to a worker waits for the broker.
                return str(QUEUE_DOWN_MESSAGE), messages.WARNING
            if push.send_at and push.send_at > timezone.now():
                when = date_format(timezone.localtime(push.send_at), "DATETIME_FORMAT")
                return gettext("Approved: the push goes out at %(when)s.") % {"when": when}
            return gettext("Approved: the push is being sent.")

        return self._act(request, object_id, act)

    def cancel_view(self, request, object_id):
        def act(push):
            push_cancel(push=push, by=request.user, reason=request.POST.get("reason", ""))
            return gettext("The push was cancelled.")

        return self._act(request, object_id, act)

    def preview_view(self, request, object_id):
        def act(push):
            openid = request.POST.get("openid", "").strip()  # superusers only (push_preview)
            push_preview(push=push, by=request.user, openid=openid)
            if openid:
                return gettext("A preview was sent to the openid you gave.")
            return gettext("A preview was sent to your WeChat.")

        return self._act(request, object_id, act)

    def single_view(self, request, key):
        """Push one approved item: choose how, then compose the push (it awaits approval)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            item = item_by_key(key)
        except LookupError as exc:
            raise Http404 from exc
        form = PushOptionsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                push = push_single(by=request.user, key=key, **form.push_options())
            except EditorialError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    gettext("The push was composed; a reviewer has to approve it."),
                    messages.SUCCESS,
                )
                return redirect("admin:wechat_push_change", push.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Push “%(title)s” to WeChat") % {"title": item.title},
            "item": item,
            "problems": item_preflight(item),
            "form": form,
            "push_quota": mass_quota(),
        }
        return TemplateResponse(request, "admin/wechat/push/single.html", context)

    def progress_context(self, request, push) -> dict:
        return {
            "progress": push_progress(push),
            "progress_colour": PUSH_STATE_COLOURS.get(push.state, "#6b7280"),
            "progress_moves": " ".join(m.name for m in allowed_moves(push=push, user=request.user)),
        }

    def progress_view(self, request, object_id):
        """The progress panel of a push as an HTML fragment, which its page polls."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        push = self.get_object(request, unquote(object_id))
        if push is None:
            raise Http404
        response = TemplateResponse(
            request, "admin/wechat/push/progress.html", self.progress_context(request, push)
        )
        response["Cache-Control"] = "no-store"
        return response

    def items_search_view(self, request):
        """The item picker's search: JSON of the items whose title contains `q`."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        try:
            term = clean_search_term(request.GET.get("q"))
        except SearchTermError as error:
            return JsonResponse({"error": str(error), "results": []}, status=400)
        items, more = items_search(term)
        return JsonResponse({"results": [item.as_json() for item in items], "more": more})


def _position(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# The custom menu editor, replies and the inbox (issue 13) register their own admins.
from . import inbox_admin, menu_admin  # noqa: E402, F401
