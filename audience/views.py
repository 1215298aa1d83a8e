"""The alumnus's own pages under /me/, opened from the WeChat menu.

Who the reader is comes from WeChat's web authorization (snsapi_base): /me/ sends the browser
to WeChat, which returns it to /me/oauth/ with a code the gateway exchanges for the openid. The
openid then lives in the session; nothing else identifies the reader.
"""

import functools
import logging
import secrets

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from alumni.models import Alumnus
from wechat.errors import RetryableError, WeChatError
from wechat.gateway import WeChatGateway

from . import selectors, services
from .errors import (
    AudienceError,
    CodeExpiredError,
    CodeInvalidError,
    RateLimitedError,
)
from .forms import (
    CodeForm,
    DeleteForm,
    DestinationForm,
    LookupForm,
    ProfileForm,
    RecordRequestForm,
)
from .models import Follower

logger = logging.getLogger(__name__)

SESSION_OPENID = "audience_openid"
SESSION_STATE = "audience_oauth_state"
SESSION_NEXT = "audience_next"
SESSION_CANDIDATES = "audience_candidates"
SESSION_CODE_SENT = "audience_code_sent"
# Where identify() was asked to go (e.g. a survey) while the reader still had to bind: the code
# page goes there once the record is bound, as the survey page promises.
SESSION_AFTER_BIND = "audience_after_bind"


def _follower(request: HttpRequest) -> Follower | None:
    openid = request.session.get(SESSION_OPENID)
    if not openid:
        return None
    return Follower.objects.select_related("alumnus").filter(openid=openid).first()


def follower_required(view):
    """The reader's follower row as `request.follower`; unknown readers go through WeChat."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        follower = _follower(request)
        if follower is None:
            return _authorize(request, next_url=request.get_full_path())
        request.follower = follower
        return view(request, *args, **kwargs)

    return wrapped


def bound_required(view):
    """Also needs a bound, not deleted record (`request.alumnus`); else to the bind page."""

    @functools.wraps(view)
    @follower_required
    def wrapped(request, *args, **kwargs):
        alumnus = request.follower.alumnus
        if alumnus is None or alumnus.deleted_at is not None:
            return redirect("audience:bind")
        request.alumnus = alumnus
        return view(request, *args, **kwargs)

    return wrapped


def _authorize(request: HttpRequest, *, next_url: str):
    state = secrets.token_urlsafe(16)
    request.session[SESSION_STATE] = state
    request.session[SESSION_NEXT] = next_url
    redirect_uri = request.build_absolute_uri(reverse("audience:oauth"))
    return redirect(WeChatGateway().oauth_authorize_url(redirect_uri, state))


def _problem(request: HttpRequest, message: str, *, status: int = 400):
    return render(request, "audience/problem.html", {"message": message}, status=status)


def me(request: HttpRequest):
    """The menu entry: learn who the reader is, then their profile or the bind page."""
    follower = _follower(request)
    if follower is None:
        return _authorize(request, next_url=reverse("audience:me"))
    if follower.alumnus_id and follower.alumnus.deleted_at is None:
        return redirect("audience:profile")
    return redirect("audience:bind")


@follower_required
def identify(request: HttpRequest):
    """Learn who the reader is through WeChat, then go back to `next` (a page of this site,
    e.g. a survey tied to the record, opened from a push without a session yet). A reader
    whose follower is not bound goes to the bind page instead."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("audience:me")
    alumnus = request.follower.alumnus
    if alumnus is None or alumnus.deleted_at is not None:
        request.session[SESSION_AFTER_BIND] = next_url
        return redirect("audience:bind")
    return redirect(next_url)


def oauth(request: HttpRequest):
    """WeChat sends the reader back here with `code` and our `state`."""
    expected = request.session.pop(SESSION_STATE, "")
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    if not (expected and code and constant_time_compare(expected, state)):
        return _problem(
            request, gettext("This link has expired. Open the page again from the WeChat menu.")
        )
    gateway = WeChatGateway()
    try:
        openid = gateway.oauth_openid(code)
    except RetryableError:
        return _problem(
            request, gettext("WeChat could not be reached. Please try again shortly."), status=503
        )
    except WeChatError as exc:
        logger.info("Web authorization failed: %s", exc.errcode)
        return _problem(
            request, gettext("This link has expired. Open the page again from the WeChat menu.")
        )
    next_url = request.session.pop(SESSION_NEXT, "") or reverse("audience:me")
    request.session.cycle_key()  # a new session for the newly identified reader
    request.session[SESSION_OPENID] = openid
    services.follower_for_openid(openid=openid, gateway=gateway)
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("audience:me")
    return redirect(next_url)


@follower_required
@require_http_methods(["GET", "POST"])
def bind(request: HttpRequest):
    """Find one's record by name and class year, then choose where the code goes."""
    if request.follower.alumnus_id and request.follower.alumnus.deleted_at is None:
        return redirect("audience:profile")
    candidates: list[Alumnus] = []
    destination_form = None
    if request.method == "POST":
        form = LookupForm(request.POST)
        if form.is_valid():
            try:
                candidates = services.binding_candidates(
                    name=form.cleaned_data["name"],
                    class_year=form.cleaned_data["class_year"],
                    follower=request.follower,
                )
            except RateLimitedError as exc:
                form.add_error(None, exc.message)
            else:
                request.session[SESSION_CANDIDATES] = [a.pk for a in candidates]
                destination_form = DestinationForm(candidates=candidates)
    else:
        form = LookupForm()
    return render(
        request,
        "audience/bind.html",
        {
            "form": form,
            "searched": form.is_bound and form.is_valid(),
            "candidates": candidates,
            "destination_form": destination_form,
        },
    )


def _candidates(request: HttpRequest) -> list[Alumnus]:
    pks = request.session.get(SESSION_CANDIDATES) or []
    found = Alumnus.objects.in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


@follower_required
@require_POST
def code_send(request: HttpRequest):
    """Send the code to the chosen destination on one of the records found."""
    candidates = _candidates(request)
    form = DestinationForm(request.POST, candidates=candidates)
    if not form.is_valid():
        messages.error(request, gettext("Choose where the code should be sent."))
        return redirect("audience:bind")
    index, channel = form.chosen()
    try:
        services.binding_code_send(
            follower=request.follower, alumnus=candidates[index], channel=channel
        )
    except RateLimitedError as exc:
        messages.error(request, exc.message)
        if request.session.get(SESSION_CODE_SENT):
            return redirect("audience:code")
        return redirect("audience:bind")
    except AudienceError as exc:
        messages.error(request, exc.message)
        return redirect("audience:bind")
    labels = dict(form.fields["destination"].choices)
    request.session[SESSION_CODE_SENT] = str(labels[form.cleaned_data["destination"]])
    return redirect("audience:code")


@follower_required
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest):
    """Enter the code; a right one binds the follower to the record."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.binding_code_verify(follower=request.follower, code=form.cleaned_data["code"])
        except CodeInvalidError as exc:
            form.add_error(
                "code",
                gettext("The code is wrong. %(left)d attempts left.") % {"left": exc.attempts_left},
            )
        except CodeExpiredError as exc:
            messages.error(request, exc.message)
            return redirect("audience:bind")
        except AudienceError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(SESSION_CANDIDATES, None)
            request.session.pop(SESSION_CODE_SENT, None)
            after = request.session.pop(SESSION_AFTER_BIND, "")
            if after and url_has_allowed_host_and_scheme(after, allowed_hosts={request.get_host()}):
                # e.g. the survey, now open to the reader (it shows no messages: none is added)
                return redirect(after)
            messages.success(request, gettext("Your record is now linked to your WeChat account."))
            return redirect("audience:profile")
    return render(
        request,
        "audience/code.html",
        {"form": form, "sent_to": request.session.get(SESSION_CODE_SENT, "")},
    )


@follower_required
@require_http_methods(["GET", "POST"])
def record_request(request: HttpRequest):
    """No record found: ask the office to create one."""
    form = RecordRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.record_request_create(follower=request.follower, **form.cleaned_data)
        except RateLimitedError as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            return render(request, "audience/request_sent.html")
    return render(request, "audience/request.html", {"form": form}, status=status)


@bound_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest):
    """Contact details, city, employer and the privacy choice, changed by the alumnus."""
    alumnus = request.alumnus
    form = ProfileForm(request.POST or None, instance=Alumnus.objects.get(pk=alumnus.pk))
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in services.SELF_SERVICE_FIELDS}
        try:
            changed = services.profile_update(
                alumnus=alumnus, changes=changes, follower=request.follower
            )
        except AudienceError as exc:
            messages.error(request, exc.message)
        else:
            if changed:
                messages.success(request, gettext("Your details were saved."))
            else:
                messages.info(request, gettext("Nothing was changed."))
            return redirect("audience:profile")
    return render(request, "audience/profile.html", {"form": form, "alumnus": alumnus})


@bound_required
def classmates(request: HttpRequest):
    """Classmates (same year and college) who chose to be visible to classmates."""
    alumnus = request.alumnus
    people = list(selectors.classmates(alumnus)[:200])
    return render(request, "audience/classmates.html", {"alumnus": alumnus, "people": people})


@bound_required
@require_POST
def unbind(request: HttpRequest):
    """The alumnus unlinks their WeChat account from the record (the record stays)."""
    services.follower_unbind(follower=request.follower)
    messages.success(request, gettext("Your WeChat account is no longer linked to the record."))
    return redirect("audience:bind")


@bound_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest):
    """The alumnus asks for their record to be deleted: it is erased at once."""
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.alumnus_erase(alumnus=request.alumnus)
        except AudienceError as exc:
            messages.error(request, exc.message)
            return redirect("audience:me")
        return render(request, "audience/deleted.html")
    return render(request, "audience/delete.html", {"form": form, "alumnus": request.alumnus})
