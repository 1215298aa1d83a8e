from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.pagecache import cache_public_page
from core.paging import paginate
from core.throttle import client_ip

from .errors import SignupError
from .forms import SignupForm
from .models import Registration, RegistrationStatus
from .selectors import activities_public, registration_by_token, signup_status, waitlist_position
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
    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST)
        try:
            # Every post from the address counts, valid or not: a flood is refused before
            # anything about it is checked.
            signup_throttle(client=client_ip(request))
            if form.is_valid():
                registration = registration_create(activity=activity, **form.cleaned_data)
                token = registration_token(registration=registration)
                return redirect("activities:registration", token=token)
        except SignupError as error:
            form.add_error(None, error.message)
            if error.code == "throttled":
                status = 429
    else:
        form = SignupForm()
    return render(
        request,
        "activities/detail.html",
        {"activity": activity, "signup": signup_status(activity), "form": form},
        status=status,
    )


def _registration_or_404(token: str) -> Registration:
    try:
        return registration_by_token(token=token)
    except Registration.DoesNotExist:
        raise Http404 from None


def registration_detail(request, token: str):
    registration = _registration_or_404(token)
    return render(
        request,
        "activities/registration.html",
        {
            "registration": registration,
            "activity": registration.activity,
            "position": waitlist_position(registration),
            "token": token,
            "Status": RegistrationStatus,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def registration_cancel_view(request, token: str):
    registration = _registration_or_404(token)
    error = None
    if request.method == "POST":
        try:
            registration_cancel(registration=registration)
        except SignupError as exc:
            error = exc.message
        else:
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
