from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.money import yuan
from core.names import display_name
from editorial.admin import EditorialAdminMixin
from editorial.models import AuditEntry

from .models import DonationProject, Gift
from .selectors import donation_progress, donor_wall, projects_with_progress
from .services import gift_delete, gift_save


@admin.register(DonationProject)
class DonationProjectAdmin(EditorialAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "status_badge",
        "goal_amount",
        "raised",
        "percent",
        "donors",
        "deadline",
        "publication",
    )
    list_display_links = ("title",)
    list_select_related = ("created_by",)
    search_fields = ("title", "digest")
    date_hierarchy = "created_at"
    # Gifts are finance records kept by the donations officer in their own admin (with an
    # audit entry per change), not content edited inline with the project's page.
    public_preview_templates = ("donations/detail.html",)
    fieldsets = [
        (None, {"fields": ["title", "digest", "body", "cover"]}),
        (_("Goal"), {"fields": ["goal", "deadline"]}),
        (_("How to give"), {"fields": ["how_to_give"]}),
        (_("Publishing"), {"fields": ["publish_at"]}),
    ]

    def get_queryset(self, request):
        # Totals come from the gifts, in the list's own query; nobody types a total.
        return projects_with_progress(super().get_queryset(request))

    @admin.display(description=_("goal (yuan)"), ordering="goal")
    def goal_amount(self, obj):
        return yuan(obj.goal)

    @admin.display(description=_("raised (yuan)"), ordering="raised")
    def raised(self, obj):
        return yuan(donation_progress(project=obj).raised)

    @admin.display(description=_("progress"))
    def percent(self, obj):
        progress = donation_progress(project=obj)
        return format_html(
            '<span class="donation-progress" title="{}%"><span style="width:{}"></span></span> {}',
            progress.exact_percent,
            progress.bar_width,
            progress.percent_label,
        )

    @admin.display(description=_("gifts"), ordering="donors")
    def donors(self, obj):
        url = reverse("admin:donations_gift_changelist")
        return format_html('<a href="{}?project__id__exact={}">{}</a>', url, obj.pk, obj.donors)

    def public_preview_context(self, request, obj):
        wall = donor_wall(project=obj, limit=10)
        return {
            "project": obj,
            "progress": donation_progress(project=obj),
            "wall": wall,
            "wall_gifts": list(wall.gifts),
        }


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    list_display = ("donor_name", "project", "gift_amount", "donated_on", "channel", "anonymous")
    list_filter = ("channel", "anonymous", "project")
    list_select_related = ("project",)
    search_fields = ("donor_name", "message", "project__title", "donor_alumnus__name")
    date_hierarchy = "donated_on"
    autocomplete_fields = ("project", "donor_alumnus")
    fieldsets = [
        (None, {"fields": ["project", "amount", "donated_on", "channel"]}),
        (_("Donor"), {"fields": ["donor_name", "donor_alumnus", "anonymous", "message"]}),
    ]
    readonly_fields = ("audit_trail",)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((_("Audit trail"), {"fields": ["audit_trail"]}))
        return fieldsets

    @admin.display(description=_("amount (yuan)"), ordering="amount")
    def gift_amount(self, obj):
        return yuan(obj.amount)

    @admin.display(description=_("changes"))
    def audit_trail(self, obj):
        entries = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Gift), object_id=obj.pk
        ).select_related("user")
        return format_html_join(
            "",
            '<p><strong>{} · {}</strong><br><span style="white-space:pre-line">{}</span></p>',
            (
                (
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                    display_name(entry.user) or "—",
                    entry.comment,
                )
                for entry in entries
            ),
        )

    # Every write goes through donations.services: permission, bounds and an audit entry.

    def save_model(self, request, obj, form, change):
        gift_save(gift=obj, by=request.user)

    def delete_model(self, request, obj):
        gift_delete(gift=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for gift in queryset:
            gift_delete(gift=gift, by=request.user)
