import csv
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from alumni.models import mask_phone
from core.questions import display_text, export_text
from core.spreadsheet import escape_formula
from editorial.admin import EditorialAdminMixin

from . import admin_views
from .checkin import PERMISSION as CHECK_IN_PERMISSION
from .checkin import registrations_check_in_undo
from .errors import SignupError
from .forms import SignupForm
from .models import Activity, ActivityQuestion, Registration, RegistrationStatus
from .selectors import (
    HOLDING_PLACE,
    activity_questions,
    attendance,
    registration_answers,
    signup_status,
)
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


class ActivityQuestionInline(admin.TabularInline):
    """The activity's own sign-up questions (core.questions checks each in the model's clean).
    Not content: adding or changing one leaves a published activity on the site."""

    model = ActivityQuestion
    fields = ("position", "label", "type", "choices", "required", "min_value", "max_value")
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "choices":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "cols": 24})
        if db_field.name == "position":
            kwargs["widget"] = forms.NumberInput(attrs={"style": "width: 3.5em"})
        if db_field.name in ("min_value", "max_value"):
            kwargs["widget"] = forms.NumberInput(attrs={"style": "width: 5em", "step": "any"})
        if db_field.name == "label":
            kwargs["widget"] = forms.TextInput(attrs={"size": 22})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Activity)
class ActivityAdmin(EditorialAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "status_badge",
        "starts_at",
        "place",
        "organiser_branch",
        "places",
        "attendance_column",
    )
    list_display_links = ("title",)
    list_filter = ("organiser_branch",)
    list_select_related = ("organiser_branch", "created_by")
    search_fields = ("title", "place", "digest")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("organiser_branch",)
    inlines = [ActivityQuestionInline, RegistrationInline]
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
    # Shown on the change form only (a new activity has no sign-ups).
    attendance_fieldset = (_("At the door"), {"fields": ["attendance_panel"]})

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.insert(1, self.attendance_fieldset)
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "attendance_panel"] if obj is not None else fields

    @admin.display(description=_("attendance"))
    def attendance_panel(self, obj):
        """Registered / checked in / no-shows, and the door's pages."""
        figures = attendance(obj)
        parts = [
            format_html(
                '<strong id="attendance-figures">{}</strong>',
                gettext("%(registered)d registered · %(checked_in)d checked in")
                % {"registered": figures.registered, "checked_in": figures.checked_in},
            )
        ]
        if figures.no_shows is not None:
            parts.append(
                format_html(" · {}", gettext("%(count)d no-shows") % {"count": figures.no_shows})
            )
        if figures.waitlisted:
            parts.append(
                format_html(
                    ' <span class="quiet">{}</span>',
                    gettext("waitlist %(count)s") % {"count": figures.waitlisted},
                )
            )
        links = [
            (reverse("admin:activities_activity_checkin", args=[obj.pk]), gettext("Check-in page")),
            (
                reverse("admin:activities_activity_checkin_sheet", args=[obj.pk]),
                gettext("Printable list"),
            ),
            (
                reverse("admin:activities_registration_changelist")
                + f"?activity__id__exact={obj.pk}",
                gettext("Sign-ups and answers"),
            ),
        ]
        if figures.checked_in:
            links.append(
                (
                    reverse("admin:activities_activity_followup", args=[obj.pk]),
                    gettext("Send the follow-up survey to those who came…"),
                )
            )
        if obj.cancelled_at is None:
            links.append(
                (
                    reverse("admin:activities_activity_cancel", args=[obj.pk]),
                    gettext("Cancel the activity…"),
                )
            )
        else:
            parts.append(
                format_html(
                    ' <strong class="errornote">{}</strong>',
                    gettext("Cancelled %(when)s")
                    % {"when": timezone.localtime(obj.cancelled_at).strftime("%Y-%m-%d %H:%M")},
                )
            )
        return format_html(
            "{}<br>{}",
            format_html_join("", "{}", ((part,) for part in parts)),
            format_html_join(" · ", '<a href="{}">{}</a>', links),
        )

    @admin.display(description=_("checked in"), ordering="checked_in_count")
    def attendance_column(self, obj):
        if not obj.places_taken:
            return "–"
        text = f"{obj.checked_in_count} / {obj.places_taken}"
        if (obj.ends_at or obj.starts_at) < timezone.now():
            return format_html(
                '{} <span class="quiet">{}</span>',
                text,
                gettext("%(count)d no-shows") % {"count": obj.places_taken - obj.checked_in_count},
            )
        return text

    def get_urls(self):
        def route(pattern, view, name):
            view = self.admin_site.admin_view(partial(view, model_admin=self))
            return path(pattern, view, name=f"activities_activity_{name}")

        return [
            route("checkin/", admin_views.checkin_start_view, "checkin_start"),
            route("<path:object_id>/checkin/", admin_views.checkin_view, "checkin"),
            route(
                "<path:object_id>/checkin/list/", admin_views.checkin_sheet_view, "checkin_sheet"
            ),
            route("<path:object_id>/cancel/", admin_views.cancel_view, "cancel"),
            route("<path:object_id>/followup/", admin_views.followup_view, "followup"),
            *super().get_urls(),
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
                checked_in_count=Count(
                    "registrations",
                    filter=Q(registrations__status=RegistrationStatus.ATTENDED),
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
        form = SignupForm(questions=activity_questions(obj))
        return {"activity": obj, "signup": signup_status(obj), "form": form}


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
    search_fields = ("name", "phone", "code", "activity__title")
    date_hierarchy = "created_at"
    autocomplete_fields = ("activity", "alumnus")
    readonly_fields = (
        "status",
        "code",
        "checked_in",
        "answers_list",
        "created_at",
        "updated_at",
    )
    exclude = ("answers", "checked_in_at", "checked_in_door", "checked_in_by")
    actions = ["mark_attended", "undo_check_in", "cancel_registrations", "export_csv"]

    def has_check_in_permission(self, request):
        return request.user.has_perm(CHECK_IN_PERMISSION)

    @admin.action(description=_("Undo the check-in of the selected"), permissions=["check_in"])
    def undo_check_in(self, request, queryset):
        """A wrong code typed at the door checked someone else in: take it back."""
        count = registrations_check_in_undo(registrations=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d check-in taken back.", "%(count)d check-ins taken back.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.display(description=_("checked in"), ordering="checked_in_at")
    def checked_in(self, registration):
        if registration.checked_in_at is None:
            return "–"
        when = timezone.localtime(registration.checked_in_at).strftime("%m-%d %H:%M")
        if registration.checked_in_door:
            return f"{when} · {registration.checked_in_door}"
        return when

    @admin.display(description=_("answers"))
    def answers_list(self, registration):
        answers = registration_answers(registration)
        if not answers:
            return "–"
        return format_html(
            '<dl class="registration-answers">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((q, a or "–") for q, a in answers)),
        )

    def _filtered_activity_questions(self, request):
        """The questions of the activity the list is filtered to (one query), else none."""
        activity_id = request.GET.get("activity__id__exact", "")
        if not activity_id.isdigit():
            return []
        if not hasattr(request, "_activity_questions"):
            request._activity_questions = list(
                ActivityQuestion.objects.filter(activity_id=int(activity_id))
            )
        return request._activity_questions

    def get_list_display(self, request):
        """Filtered to one activity, the list shows its questions' answers as columns."""
        columns = list(super().get_list_display(request))
        columns.insert(columns.index("status") + 1, "checked_in")
        for question in self._filtered_activity_questions(request):
            columns.append(_answer_column(question))
        return columns

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
        rows = list(
            queryset.select_related("activity").order_by("activity__starts_at", "created_at")
        )
        # One column per question of the activities exported (their titles in front when
        # there are several), read from each row's stored answers: no query per row.
        activity_ids = {registration.activity_id for registration in rows}
        questions = list(
            ActivityQuestion.objects.filter(activity_id__in=activity_ids)
            .select_related("activity")
            .order_by("activity__starts_at", "activity_id", "position", "pk")
        )
        several = len(activity_ids) > 1
        writer.writerow(
            [
                gettext("Activity"),
                gettext("Name"),
                gettext("Class year"),
                gettext("Phone"),
                gettext("Status"),
                gettext("Signed up at"),
                gettext("Ticket code"),
                gettext("Checked in at"),
                gettext("Door"),
                *(
                    _cell(f"{q.activity.title}: {q.label}" if several else q.label)
                    for q in questions
                ),
            ]
        )
        specs = [(q, q.spec()) for q in questions]
        for registration in rows:
            answers = registration.answers or {}
            writer.writerow(
                [
                    _cell(registration.activity.title),
                    _cell(registration.name),
                    registration.class_year,
                    _cell(registration.phone),
                    registration.get_status_display(),
                    timezone.localtime(registration.created_at).strftime("%Y-%m-%d %H:%M"),
                    registration.code,
                    timezone.localtime(registration.checked_in_at).strftime("%Y-%m-%d %H:%M")
                    if registration.checked_in_at
                    else "",
                    _cell(registration.checked_in_door),
                    *(
                        _cell(export_text(spec, answers.get(str(q.pk))))
                        if q.activity_id == registration.activity_id
                        else ""
                        for q, spec in specs
                    ),
                ]
            )
        return response


def _answer_column(question: ActivityQuestion):
    """A list column showing one question's answer (plain text; the admin escapes it)."""
    spec = question.spec()

    def column(registration):
        return display_text(spec, (registration.answers or {}).get(str(question.pk))) or "–"

    column.short_description = question.label
    column.__name__ = f"answer_{question.pk}"
    return column
