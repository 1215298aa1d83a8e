"""The admin site's own wording; the models' admins live in each app's admin.py."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Problem

admin.site.site_header = _("Alumni association content management")
admin.site.site_title = _("Alumni association content management")
admin.site.index_title = _("Content and alumni records")


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    """The problems the status page found and mailed, kept for RETENTION_ALERT_DAYS: read only."""

    list_display = ("summary", "kind", "found_at", "mailed_at")
    list_filter = ("kind",)
    search_fields = ("summary",)
    date_hierarchy = "found_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
