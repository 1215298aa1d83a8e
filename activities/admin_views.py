"""The organisers' pages beside an activity's admin form: check-in at the door (a phone), the
printed list, cancelling the activity. Routed by ActivityAdmin.get_urls (admin_view: staff
only); each checks its own permission."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from alumni.models import mask_phone
from core.text import one_line

from .checkin import DOOR_MAX_LENGTH, PERMISSION, Outcome, check_in_by_code
from .errors import ActivityError, CheckInError
from .models import Activity, RegistrationStatus
from .schedule import activity_cancel, activity_followup_send, followup_surveys
from .selectors import attendance, checkin_sheet

# A typed code longer than this is not read (a ticket's code has 8 characters).
CODE_INPUT_MAX = 64


def _activity(request, object_id) -> Activity:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    return get_object_or_404(Activity, pk=object_id)


def checkin_start_view(request, *, model_admin):
    """Where a door's phone starts: the activities of the coming week (and of the last day),
    each opening its check-in page. Reachable from the admin's home with the check-in
    permission alone, which does not show activities in the admin."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    now = timezone.now()
    activities = list(
        Activity.objects.filter(
            cancelled_at__isnull=True,
            # Published once (its sign-ups were told), whatever an edit since did to its state.
            announced_starts_at__isnull=False,
            starts_at__gte=now - timedelta(days=1),
            starts_at__lte=now + timedelta(days=7),
        ).order_by("starts_at", "pk")[:50]
    )
    return TemplateResponse(
        request,
        "admin/activities/checkin_start.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": gettext("Check-in"),
            "activities": activities,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def checkin_view(request, object_id, *, model_admin):
    """The door's page: name the door, then scan or type codes. A POST with
    `Accept: application/json` (the page's script) answers the result as an HTML fragment."""
    activity = _activity(request, object_id)
    door = one_line(request.POST.get("door") or request.GET.get("door") or "")[:DOOR_MAX_LENGTH]
    result, error = None, ""
    if request.method == "POST":
        try:
            result = check_in_by_code(
                activity=activity,
                code=(request.POST.get("code") or "")[:CODE_INPUT_MAX],
                door=door,
                by=request.user,
            )
        except CheckInError as exc:
            error = exc.message
    figures = attendance(activity)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Check-in"),
        "activity": activity,
        "door": door,
        "result": result,
        "error": error,
        "Outcome": Outcome,
        "figures": figures,
        "today": timezone.localdate(),
        "sheet_url": reverse("admin:activities_activity_checkin_sheet", args=[activity.pk]),
        "change_url": reverse("admin:activities_activity_change", args=[activity.pk]),
    }
    if request.method == "POST" and "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "outcome": result.outcome if result else "error",
                "html": render_to_string("admin/activities/checkin_result.html", context, request),
                "checked_in": figures.checked_in,
                "registered": figures.registered,
            }
        )
    return TemplateResponse(request, "admin/activities/checkin.html", context)


def checkin_sheet_view(request, object_id, *, model_admin):
    """The printable list of who may come in (and the waitlist), by pinyin or by name."""
    activity = _activity(request, object_id)
    order = "name" if request.GET.get("order") == "name" else "pinyin"
    sheet = checkin_sheet(activity, order=order)
    for row in sheet["places"] + sheet["waitlist"]:
        row.masked_phone = mask_phone(row.phone)
    return TemplateResponse(
        request,
        "admin/activities/checkin_sheet.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": gettext("Check-in list"),
            "activity": activity,
            "order": order,
            "sheet": sheet,
            "Status": RegistrationStatus,
            "printed_at": timezone.localtime(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def cancel_view(request, object_id, *, model_admin):
    """Confirm, with a reason, and cancel the whole activity (everyone signed up is told)."""
    if not request.user.has_perm("activities.change_activity"):
        raise PermissionDenied
    activity = get_object_or_404(Activity, pk=object_id)
    change_url = reverse("admin:activities_activity_change", args=[activity.pk])
    if request.method == "POST":
        try:
            activity_cancel(
                activity=activity, by=request.user, reason=request.POST.get("reason", "")
            )
        except ActivityError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                gettext("“%(title)s” is cancelled; everyone signed up is being told.")
                % {"title": activity.title},
                messages.SUCCESS,
            )
        return redirect(change_url)
    return TemplateResponse(
        request,
        "admin/activities/cancel_activity.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": gettext("Cancel the activity"),
            "activity": activity,
            "figures": attendance(activity),
            "change_url": change_url,
            "opts": Activity._meta,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def followup_view(request, object_id, *, model_admin):
    """Choose a published survey and send its link to everyone who checked in."""
    if not request.user.has_perm("activities.change_activity"):
        raise PermissionDenied
    activity = get_object_or_404(Activity, pk=object_id)
    change_url = reverse("admin:activities_activity_change", args=[activity.pk])
    surveys = followup_surveys()
    if request.method == "POST":
        raw = request.POST.get("survey", "")
        try:
            count = activity_followup_send(
                activity=activity, survey_id=int(raw) if raw.isdigit() else 0, by=request.user
            )
        except ActivityError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                gettext("The survey is on its way to the %(count)d people who came.")
                % {"count": count},
                messages.SUCCESS,
            )
            return redirect(change_url)
    return TemplateResponse(
        request,
        "admin/activities/followup.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": gettext("Send the follow-up survey"),
            "activity": activity,
            "surveys": list(surveys[:100]) if surveys is not None else None,
            "figures": attendance(activity),
            "change_url": change_url,
            "opts": Activity._meta,
        },
    )
