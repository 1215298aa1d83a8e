"""What a person sees when a login is refused before any password is checked: too many wrong
passwords for one username from one address (django-axes, AXES_LOCKOUT_CALLABLE), or too many
login attempts from one address (LOGIN_IP_LIMITS). A page in the style of the login they used,
in their language, with status 429; never a bare error."""

import math
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse

from .throttle import Throttled, client_ip, throttle


def _page(request, *, seconds: int):
    minutes = max(1, math.ceil(seconds / 60))
    context = {"minutes": minutes}
    if request.path.startswith(reverse("admin:index")):
        template = "admin/lockout.html"
        context.update(admin.site.each_context(request))
    else:
        template = "liaison/lockout.html"
    return render(request, template, context, status=429)


def lockout_response(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, saying how long the cool-off lasts."""
    return _page(request, seconds=int(settings.AXES_COOLOFF_TIME.total_seconds()))


def login_throttled(view):
    """Hold a login view's POSTs to LOGIN_IP_LIMITS per client address.

    django-axes locks one username out of one address; this stops one address from guessing
    a few passwords for every username in turn.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            try:
                throttle([f"login-ip:{client_ip(request)}"], settings.LOGIN_IP_LIMITS)
            except Throttled as exc:
                return _page(request, seconds=exc.retry_after)
        return view(request, *args, **kwargs)

    return wrapped
