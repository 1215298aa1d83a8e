from django.contrib import admin

from .models import ReadingStatistics
from .views import dashboard


@admin.register(ReadingStatistics)
class ReadingStatisticsAdmin(admin.ModelAdmin):
    """Puts "Reading statistics" on the admin index for all staff; it opens the dashboard."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return dashboard(request)
