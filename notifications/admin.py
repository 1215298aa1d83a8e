from django.contrib import admin

from .models import Notification, SubscriptionOptIn


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What was sent to whom, for the office to answer "I got nothing" (read-only)."""

    list_display = (
        "kind", "channel", "registration", "push", "state", "delivery", "attempts", "created_at",
    )  # fmt: skip
    list_filter = ("state", "channel", "kind", "delivery")
    list_select_related = ("registration__activity", "push")
    search_fields = ("recipient", "registration__name", "registration__phone")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SubscriptionOptIn)
class SubscriptionOptInAdmin(admin.ModelAdmin):
    """Followers' opt-ins to subscription notifications, as WeChat reported them (read-only):
    each "accept" in WeChat's popup allows one notice with that template."""

    list_display = ("template_id", "remaining", "updated_at")
    list_filter = ("template_id",)
    readonly_fields = [f.name for f in SubscriptionOptIn._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
