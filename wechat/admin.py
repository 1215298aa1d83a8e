from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .emulator import EmulatorClient, EmulatorUnavailable
from .models import CallbackEvent


@admin.register(CallbackEvent)
class CallbackEventAdmin(admin.ModelAdmin):
    """What WeChat pushed, read-only; with the emulator's state when the emulator is on."""

    list_display = ("received_at", "event_name", "msg_id", "publish_id", "from_user", "processed")
    list_filter = ("event", "msg_type", "processed")
    search_fields = ("msg_id", "publish_id", "from_user")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in CallbackEvent._meta.fields]
    change_list_template = "admin/wechat/callbackevent/change_list.html"

    @admin.display(description=_("event"), ordering="event")
    def event_name(self, obj):
        return obj.event or obj.msg_type

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "wechat_emulator": settings.WECHAT_EMULATOR}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "emulator/",
                self.admin_site.admin_view(self.emulator_view),
                name="wechat_callbackevent_emulator",
            ),
            *super().get_urls(),
        ]

    def emulator_view(self, request):
        """The WeChat emulator's drafts, sends, inbox and callbacks (only with the emulator)."""
        if not settings.WECHAT_EMULATOR:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        error, state = "", {}
        try:
            state = EmulatorClient(settings.WECHAT_API_BASE_URL, timeout=3).state()
        except EmulatorUnavailable as exc:
            error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("WeChat emulator"),
            "emulator_url": settings.WECHAT_API_BASE_URL,
            "error": error,
            "state": state,
        }
        return TemplateResponse(request, "admin/wechat/emulator.html", context)
