import time

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from alumni.models import mask_email, mask_phone
from core.pagecache import cache_public_page
from core.paging import paginate
from core.throttle import client_ip
from core.visitor import visitor_of

from .calendar import activity_ics
from .errors import PhoneLookupError, SignupError
from .forms import LookupCodeForm, LookupPhoneForm, SignupForm
from .lookup import lookup_code_send, lookup_code_verify
from .models import Registration, RegistrationStatus
from .selectors import (
    activities_public,
    activity_questions,
    registration_answers,
    registration_by_token,
    registrations_for_phone,
    signup_status,
    waitlist_position,
)
from .services import (
    registration_cancel,
    registration_create,
    registration_token,
    signup_throttle,
)


@cache_public_page
def activity_list(request):
    page = paginate(request, activities_public())
    now = timezone.now()
    for activity in page:
        activity.signup = signup_status(activity, now=now)
    return render(request, "activities/list.html", {"page": page, "activities": page})


@require_http_methods(["GET", "HEAD", "POST"])
@cache_public_page
def activity_detail(request, pk: int):
    activity = get_object_or_404(activities_public(), pk=pk)
    questions = activity_questions(activity)
    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST, questions=questions)
        try:
            # Every post from the address counts, valid or not: a flood is refused before
            # anything about it is checked.
            signup_throttle(client=client_ip(request))
            if form.is_valid():
                visitor = visitor_of(request)
                registration = registration_create(
                    activity=activity, alumnus_id=visitor.alumnus_id, **form.signup_data()
                )
                token = registration_token(registration=registration)
                request.session[SESSION_SENT] = {
                    "registration": registration.pk,
                    "to": _confirmation_destinations(registration, wechat=visitor.wechat),
                }
                return redirect("activities:registration", token=token)
        except SignupError as error:
            form.add_error(None, error.message)
            if error.code == "throttled":
                status = 429
    else:
        form = SignupForm(questions=questions)
    return render(
        request,
        "activities/detail.html",
        {"activity": activity, "signup": signup_status(activity), "form": form},
        status=status,
    )


# Where the confirmation of the sign-up just made (or cancelled) went, for its page to say once.
SESSION_SENT = "activities_confirmation_sent"
# The number a look-up code was sent to (waiting for the code), and the verified look-up.
SESSION_LOOKUP_PHONE = "activities_lookup_phone"
SESSION_LOOKUP = "activities_lookup"


def _confirmation_destinations(registration: Registration, *, wechat: bool) -> list[str]:
    """Where the confirmation goes, as the page may show it: the masked address, WeChat."""
    destinations = []
    if registration.email:
        destinations.append(mask_email(registration.email))
    if wechat and registration.alumnus_id and settings.WECHAT_TEMPLATE_SIGNUP:
        destinations.append(gettext("your WeChat"))
    return destinations


def _registration_or_404(token: str) -> Registration:
    try:
        return registration_by_token(token=token)
    except Registration.DoesNotExist:
        raise Http404 from None


def registration_detail(request, token: str):
    registration = _registration_or_404(token)
    sent = request.session.get(SESSION_SENT)
    if sent and sent.get("registration") == registration.pk:
        del request.session[SESSION_SENT]
        sent_to = sent.get("to") or []
    else:
        sent = None
        sent_to = []
    ticket_qr = ""
    if registration.status in (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED):
        ticket_qr = segno.make(registration.code, error="m").svg_inline(
            scale=8, border=2, title=registration.code
        )
    return render(
        request,
        "activities/registration.html",
        {
            "registration": registration,
            "activity": registration.activity,
            "ticket_qr": ticket_qr,
            "answers": registration_answers(registration),
            "position": waitlist_position(registration),
            "token": token,
            "Status": RegistrationStatus,
            "just_signed_up": sent is not None,
            "sent_to": sent_to,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def registration_cancel_view(request, token: str):
    registration = _registration_or_404(token)
    error = None
    if request.method == "POST":
        was_cancelled = registration.status == RegistrationStatus.CANCELLED
        try:
            registration = registration_cancel(registration=registration)
        except SignupError as exc:
            error = exc.message
        else:
            if not was_cancelled:
                visitor = visitor_of(request)
                wechat = visitor.wechat and visitor.alumnus_id == registration.alumnus_id
                request.session[SESSION_SENT] = {
                    "registration": registration.pk,
                    "to": _confirmation_destinations(registration, wechat=wechat),
                }
            return redirect("activities:registration", token=token)
    return render(
        request,
        "activities/cancel.html",
        {
            "registration": registration,
            "activity": registration.activity,
            "token": token,
            "error": error,
            "Status": RegistrationStatus,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def lookup_start(request):
    """Step one of finding one's sign-ups: type the number, get a code (whatever it holds)."""
    status = 200
    if request.method == "POST":
        form = LookupPhoneForm(request.POST)
        if form.is_valid():
            phone = form.cleaned_data["phone"]
            try:
                lookup_code_send(phone=phone, client=client_ip(request))
            except PhoneLookupError as error:
                form.add_error(None, error.message)
                status = 429 if error.code == "throttled" else 200
            else:
                request.session[SESSION_LOOKUP_PHONE] = phone
                return redirect("activities:lookup_code")
    else:
        form = LookupPhoneForm()
    return render(request, "activities/lookup.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def lookup_code(request):
    """Step two: type the code; a right one opens the list for a short while."""
    phone = request.session.get(SESSION_LOOKUP_PHONE)
    if not phone:
        return redirect("activities:lookup")
    status = 200
    if request.method == "POST":
        form = LookupCodeForm(request.POST)
        if form.is_valid():
            try:
                lookup_code_verify(
                    phone=phone, code=form.cleaned_data["code"], client=client_ip(request)
                )
            except PhoneLookupError as error:
                form.add_error(None, error.message)
                status = 429 if error.code == "throttled" else 200
            else:
                del request.session[SESSION_LOOKUP_PHONE]
                # A new session key: whoever knew the old one (a shared device, a fixation)
                # does not get the list with it.
                request.session.cycle_key()
                until = time.time() + settings.ACTIVITIES_LOOKUP_SESSION.total_seconds()
                request.session[SESSION_LOOKUP] = {"phone": phone, "until": until}
                return redirect("activities:my_registrations")
    else:
        form = LookupCodeForm()
    return render(
        request,
        "activities/lookup_code.html",
        {
            "form": form,
            "masked_phone": mask_phone(phone),
            "minutes": int(settings.ACTIVITIES_LOOKUP_CODE_TTL.total_seconds() // 60),
        },
        status=status,
    )


def my_registrations(request):
    """The sign-ups made with the verified number, each linked to its own page."""
    lookup = request.session.get(SESSION_LOOKUP)
    if not lookup or lookup.get("until", 0) < time.time():
        request.session.pop(SESSION_LOOKUP, None)
        return redirect("activities:lookup")
    registrations = list(registrations_for_phone(phone=lookup["phone"]))
    for registration in registrations:
        registration.token = registration_token(registration=registration)
    return render(
        request,
        "activities/my_registrations.html",
        {
            "registrations": registrations,
            "masked_phone": mask_phone(lookup["phone"]),
            "Status": RegistrationStatus,
        },
    )


@require_http_methods(["POST"])
def lookup_end(request):
    """Close the list before its time (a shared phone or computer)."""
    request.session.pop(SESSION_LOOKUP, None)
    return redirect("activities:lookup")


def _ics_response(activity, *, url: str) -> HttpResponse:
    response = HttpResponse(
        activity_ics(activity, url=url), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}.ics"'
    return response


def activity_calendar(request, pk: int):
    """The activity as an .ics file (its public page's link)."""
    activity = get_object_or_404(activities_public(), pk=pk)
    return _ics_response(activity, url=request.build_absolute_uri(activity.get_absolute_url()))


def registration_calendar(request, token: str):
    """The activity of a sign-up as an .ics file (its ticket page's link; works while the
    activity is off the site, and says when it is cancelled)."""
    registration = _registration_or_404(token)
    url = request.build_absolute_uri(reverse("activities:registration", args=[token]))
    return _ics_response(registration.activity, url=url)
