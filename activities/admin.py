import csv

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from alumni.models import mask_phone
from core.spreadsheet import escape_formula
from editorial.admin import EditorialAdminMixin

from .errors import SignupError
from .forms import SignupForm
from .models import Activity, Registration, RegistrationStatus
from .selectors import HOLDING_PLACE, signup_status
from .services import registration_cancel, registrations_mark_attended


class MaskedPhoneMixin:
    @admin.display(description=_("phone"))
    def masked_phone(self, registration) -> str:
        """Lists show phone numbers masked (privacy); the full number is on the change form."""
        return mask_phone(registration.phone)


class RegistrationInline(MaskedPhoneMixin, admin.TabularInline):
    """Sign-ups shown on their activity. Read-only: status changes go through the registration
    admin's actions, so a cancellation promotes the waitlist."""

    model = Registration
    fields = ("name", "class_year", "masked_phone", "status", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("created_at", "pk")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(EditorialAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "status_badge",
        "starts_at",
        "place",
        "organiser_branch",
        "places",
    )
    list_display_links = ("title",)
    list_filter = ("organiser_branch",)
    list_select_related = ("organiser_branch", "created_by")
    search_fields = ("title", "place", "digest")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("organiser_branch",)
    inlines = [RegistrationInline]
    public_preview_templates = ("activities/detail.html",)
    fieldsets = [
        (None, {"fields": ["title", "digest", "body", "cover"]}),
        (
            _("When and where"),
            {"fields": ["starts_at", "ends_at", "place", "organiser_branch", "how_to_join"]},
        ),
        (_("Sign-up"), {"fields": ["capacity", "waitlist_enabled", "signup_deadline"]}),
        (_("Publishing"), {"fields": ["publish_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                places_taken=Count(
                    "registrations", filter=Q(registrations__status__in=HOLDING_PLACE)
                ),
                waitlist_count=Count(
                    "registrations",
                    filter=Q(registrations__status=RegistrationStatus.WAITLISTED),
                ),
            )
        )

    # One column for places and the waitlist (the list had eight and cut off its last at
    # 1366 px); the sign-up deadline is on the form.
    @admin.display(description=_("places taken"), ordering="places_taken")
    def places(self, obj):
        taken = str(obj.places_taken)
        if obj.capacity is not None:
            taken = f"{taken} / {obj.capacity}"
        if obj.waitlist_count:
            return format_html(
                '{} <span class="quiet">{}</span>',
                taken,
                gettext("waitlist %(count)s") % {"count": obj.waitlist_count},
            )
        return taken

    def public_preview_context(self, request, obj):
        return {"activity": obj, "signup": signup_status(obj), "form": SignupForm()}


def _cell(value) -> str:
    return escape_formula("" if value is None else str(value))


@admin.register(Registration)
class RegistrationAdmin(MaskedPhoneMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "activity",
        "class_year",
        "masked_phone",
        "status",
        "alumnus",
        "created_at",
    )
    list_filter = ("status", "activity")
    list_select_related = ("activity", "alumnus")
    search_fields = ("name", "phone", "activity__title")
    date_hierarchy = "created_at"
    autocomplete_fields = ("activity", "alumnus")
    readonly_fields = ("status", "created_at", "updated_at")
    actions = ["mark_attended", "cancel_registrations", "export_csv"]

    @admin.action(description=_("Mark selected as attended"), permissions=["change"])
    def mark_attended(self, request, queryset):
        count, skipped = registrations_mark_attended(registrations=queryset)
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d sign-up marked as attended.",
                    "%(count)d sign-ups marked as attended.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d skipped: only a registered sign-up can be marked as attended.",
                    "%(count)d skipped: only registered sign-ups can be marked as attended.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Cancel selected sign-ups"), permissions=["change"])
    def cancel_registrations(self, request, queryset):
        """Cancel through the service, one by one, so freed places go to the waitlist."""
        cancelled, refused = 0, []
        for registration in queryset.select_related("activity"):
            try:
                registration_cancel(registration=registration)
            except SignupError as error:
                refused.append(f"{registration.name}: {error.message}")
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("%(count)d sign-up cancelled.", "%(count)d sign-ups cancelled.", cancelled)
                % {"count": cancelled},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                gettext("Not cancelled: %(items)s") % {"items": "; ".join(refused)},
                messages.WARNING,
            )

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="registrations-{stamp}.csv"'
        response.write("\ufeff")  # so Excel reads the Chinese text as UTF-8
        writer = csv.writer(response)
        writer.writerow(
            [
                gettext("Activity"),
                gettext("Name"),
                gettext("Class year"),
                gettext("Phone"),
                gettext("Status"),
                gettext("Signed up at"),
            ]
        )
        rows = queryset.select_related("activity").order_by("activity__starts_at", "created_at")
        for registration in rows:
            writer.writerow(
                [
                    _cell(registration.activity.title),
                    _cell(registration.name),
                    registration.class_year,
                    _cell(registration.phone),
                    registration.get_status_display(),
                    timezone.localtime(registration.created_at).strftime("%Y-%m-%d %H:%M"),
                ]
            )
        return response
