"""The admin's menu editor: edit, preview as a phone, approve, publish, compare with WeChat.

One page per menu (`admin/wechat/menu/editor.html`); its buttons post to small views that call
wechat.services.menu and turn its errors into messages. Registered by wechat/admin.py.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.queueing import unqueued
from editorial.actors import is_reviewer
from editorial.errors import EditorialError

from .errors import WeChatError
from .menu_forms import ConditionalMenuForm, MenuEditForm, buttons_initial
from .models import Menu, MenuVersion, MenuVersionState
from .services import tag_choices
from .services.menu import (
    menu_adopt_wechat,
    menu_approve,
    menu_changers,
    menu_default,
    menu_discard,
    menu_drift,
    menu_open_version,
    menu_published,
    menu_remove,
    menu_republish,
    menu_rollback,
    menu_save,
)

PUBLISHED_STATES = (MenuVersionState.PUBLISHED, MenuVersionState.APPROVED)
LIST_STATES = (*PUBLISHED_STATES, MenuVersionState.DRAFT)
QUEUE_DOWN = _(
    "Approved. The task queue is unavailable right now: use “Publish ours again” once it is back."
)


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):
    """The account's menus: the default one and conditional menus per WeChat tag."""

    list_display = ("name", "audience", "published_display", "open_display")
    list_display_links = ("name",)

    @admin.display(description=_("seen by"))
    def audience(self, obj):
        if obj.is_default:
            return gettext("Every follower")
        return gettext("Followers tagged “%(tag)s”") % {"tag": obj.tag_name or obj.tag_id}

    def get_queryset(self, request):
        # The list shows each menu's live and waiting versions: one query for all of them.
        live = MenuVersion.objects.filter(state__in=LIST_STATES).order_by("-number")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("versions", queryset=live, to_attr="live_versions"))
        )

    @admin.display(description=_("published"))
    def published_display(self, obj):
        version = next((v for v in obj.live_versions if v.state in PUBLISHED_STATES), None)
        return f"v{version.number} · {version.get_state_display()}" if version else "—"

    @admin.display(description=_("awaiting approval"))
    def open_display(self, obj):
        version = next((v for v in obj.live_versions if v.state == MenuVersionState.DRAFT), None)
        return f"v{version.number}" if version else "—"

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        menu_default()  # the default menu is always listed
        return super().changelist_view(request, extra_context)

    # Pages

    def add_view(self, request, form_url="", extra_context=None):
        """A conditional menu: a name and the WeChat tag whose followers see it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ConditionalMenuForm(request.POST or None, tags=tag_choices())
        if request.method == "POST" and form.is_valid():
            tag_id = form.cleaned_data["tag"]
            try:
                with transaction.atomic():
                    menu = Menu.objects.create(
                        name=form.cleaned_data["name"],
                        tag_id=tag_id,
                        tag_name=form.tag_names.get(tag_id, "")[:30],
                    )
            except IntegrityError:
                form.add_error("tag", gettext("This tag already has a menu."))
            else:
                return redirect("admin:wechat_menu_change", menu.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("New conditional menu"),
            "form": form,
        }
        return TemplateResponse(request, "admin/wechat/menu/add.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        menu = self.get_object(request, unquote(object_id))
        if menu is None:
            raise Http404
        can_change = self.has_change_permission(request, menu)
        open_version = menu_open_version(menu)
        published = menu_published(menu)
        start = open_version or published
        preview_buttons = start.buttons if start else []
        form = MenuEditForm(initial=buttons_initial(preview_buttons))
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            form = MenuEditForm(request.POST)
            if form.is_valid():
                if "_preview" in request.POST:
                    preview_buttons = form.buttons
                else:
                    try:
                        version = menu_save(menu=menu, buttons=form.buttons, by=request.user)
                    except EditorialError as error:
                        form.add_error(None, str(error))
                    else:
                        self.message_user(
                            request,
                            gettext(
                                "Saved as version %(n)s. Another reviewer has to approve it "
                                "before it is published."
                            )
                            % {"n": version.number},
                            messages.SUCCESS,
                        )
                        return redirect("admin:wechat_menu_change", menu.pk)
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": menu,
            "title": gettext("WeChat menu: %(name)s") % {"name": menu.name},
            "menu": menu,
            "form": form,
            "rows": form.rows(),
            "can_change": can_change,
            "preview_buttons": preview_buttons,
            "previewing_unsaved": request.method == "POST" and "_preview" in request.POST,
            "open_version": open_version,
            "published": published,
            "can_approve": bool(
                open_version and is_reviewer(user) and user.pk not in menu_changers(open_version)
            ),
            "is_reviewer": is_reviewer(user),
            "versions": menu.versions.select_related("created_by", "approved_by")[:30],
            "rollback_states": (MenuVersionState.PUBLISHED, MenuVersionState.SUPERSEDED),
        }
        return TemplateResponse(request, "admin/wechat/menu/editor.html", context)

    def drift_view(self, request, object_id):
        """What WeChat holds now beside what we published, with the two ways to reconcile."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        menu = self.get_object(request, unquote(object_id))
        if menu is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": menu,
            "menu": menu,
            "title": gettext("%(name)s: ours and WeChat's") % {"name": menu.name},
            "is_reviewer": is_reviewer(request.user),
        }
        try:
            context["drift"] = menu_drift(menu=menu)
        except WeChatError as error:
            context["drift_error"] = error.user_message
        response = TemplateResponse(request, "admin/wechat/menu/drift.html", context)
        response["Cache-Control"] = "no-store"
        return response

    # Buttons

    def get_urls(self):
        def view(fn, name, route):
            return path(route, self.admin_site.admin_view(fn), name=f"wechat_menu_{name}")

        return [
            view(self.drift_view, "drift", "<path:object_id>/wechat/"),
            view(self.approve_view, "approve", "<path:object_id>/approve/"),
            view(self.discard_view, "discard", "<path:object_id>/discard/"),
            view(self.republish_view, "republish", "<path:object_id>/republish/"),
            view(self.adopt_view, "adopt", "<path:object_id>/adopt/"),
            view(self.remove_view, "remove", "<path:object_id>/remove/"),
            view(self.rollback_view, "rollback", "<path:object_id>/rollback/<int:number>/"),
            *super().get_urls(),
        ]

    def _act(self, request, object_id, act, *, back="change"):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        menu = self.get_object(request, unquote(object_id))
        if menu is None:
            raise Http404
        try:
            result = act(menu)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
        except WeChatError as error:
            self.message_user(request, error.user_message, messages.ERROR)
        else:
            message, level = result if isinstance(result, tuple) else (result, messages.SUCCESS)
            self.message_user(request, message, level)
        return redirect(f"admin:wechat_menu_{back}", menu.pk)

    def _open_version(self, menu) -> MenuVersion:
        version = menu_open_version(menu)
        if version is None:
            raise EditorialError(_("No version of this menu awaits approval."))
        return version

    def approve_view(self, request, object_id):
        def act(menu):
            with unqueued() as missed:
                version = menu_approve(version=self._open_version(menu), by=request.user)
            if missed:
                return str(QUEUE_DOWN), messages.WARNING
            return gettext("Version %(n)s is approved and being published to WeChat.") % {
                "n": version.number
            }

        return self._act(request, object_id, act)

    def discard_view(self, request, object_id):
        def act(menu):
            version = menu_discard(version=self._open_version(menu), by=request.user)
            return gettext("Version %(n)s was discarded.") % {"n": version.number}

        return self._act(request, object_id, act)

    def rollback_view(self, request, object_id, number):
        def act(menu):
            older = menu.versions.filter(number=number).first()
            if older is None or older.state not in (
                MenuVersionState.PUBLISHED,
                MenuVersionState.SUPERSEDED,
            ):
                raise EditorialError(_("Only a version that was published can come back."))
            version = menu_rollback(version=older, by=request.user)
            return gettext(
                "Version %(n)s brings back version %(old)s; another reviewer has to approve it."
            ) % {"n": version.number, "old": older.number}

        return self._act(request, object_id, act)

    def republish_view(self, request, object_id):
        def act(menu):
            with unqueued() as missed:
                version = menu_republish(menu=menu, by=request.user)
            if missed:
                return str(QUEUE_DOWN), messages.WARNING
            return gettext("Version %(n)s is being published to WeChat again.") % {
                "n": version.number
            }

        return self._act(request, object_id, act)

    def adopt_view(self, request, object_id):
        def act(menu):
            # Read again now: what the person saw may have changed since.
            drift = menu_drift(menu=menu)
            version = menu_adopt_wechat(menu=menu, by=request.user, buttons=drift.theirs)
            return gettext("WeChat's menu is now our version %(n)s.") % {"n": version.number}

        return self._act(request, object_id, act, back="drift")

    def remove_view(self, request, object_id):
        """Remove a conditional menu from WeChat and from here (reviewers)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        menu = self.get_object(request, unquote(object_id))
        if menu is None:
            raise Http404
        try:
            menu_remove(menu=menu, by=request.user)
        except EditorialError as error:
            self.message_user(request, str(error), messages.ERROR)
        except WeChatError as error:
            self.message_user(request, error.user_message, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("The conditional menu “%(name)s” was removed.") % {"name": menu.name},
                messages.SUCCESS,
            )
            return redirect("admin:wechat_menu_changelist")
        return redirect("admin:wechat_menu_change", menu.pk)
