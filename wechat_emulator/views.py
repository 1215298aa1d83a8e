"""The admin's page on the emulator: its drafts, sends, inbox, callbacks and call counters."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from wechat.models import CallbackEvent

from .client import EmulatorClient, EmulatorUnavailable


def emulator_page(request):
    """What the emulator holds, for whoever may see WeChat's callback events. 404 when the
    emulator is off (the page's address exists only when it was on at start)."""
    if not settings.WECHAT_EMULATOR:
        raise Http404
    if not admin.site.get_model_admin(CallbackEvent).has_view_permission(request):
        raise PermissionDenied
    error, state = "", {}
    client = EmulatorClient(settings.WECHAT_API_BASE_URL, timeout=3)
    if request.method == "POST" and request.POST.get("action") == "scan":
        return _scan(request, client)
    if request.method == "POST":
        return _follower_writes(request, client)
    try:
        state = client.state()
    except EmulatorUnavailable as exc:
        error = str(exc)
    context = {
        **admin.site.each_context(request),
        "opts": CallbackEvent._meta,
        "title": gettext("WeChat emulator"),
        "emulator_url": settings.WECHAT_API_BASE_URL,
        "error": error,
        "state": state,
    }
    return TemplateResponse(request, "admin/wechat_emulator/emulator.html", context)


def _follower_writes(request, client):
    """The page's form: a numbered follower sends a text to the account (a demo of the inbox
    and the automatic replies; the emulator pushes it to the site at once)."""
    from django.contrib import messages
    from django.http import HttpResponseRedirect

    from .api.common import openid_for

    try:
        number = max(0, int(request.POST.get("follower") or 0))
    except ValueError:
        number = 0
    content = (request.POST.get("content") or "").strip()[:600]
    if content:
        try:
            client.follower_message(openid=openid_for(number), Content=content)
        except EmulatorUnavailable as exc:
            messages.error(
                request, gettext("The emulator did not answer: %(error)s") % {"error": exc}
            )
    return HttpResponseRedirect(request.path)


def _scan(request, client):
    """The QR codes' buttons: someone scans a code, as a new follower or as follower 0; the
    emulator pushes subscribe (qrscene_…) or SCAN to the site, which counts it for its channel."""
    from django.contrib import messages
    from django.http import HttpResponseRedirect

    try:
        client.qrcode_scan(
            ticket=request.POST.get("ticket", "")[:128], new=bool(request.POST.get("new"))
        )
    except EmulatorUnavailable as exc:
        messages.error(request, gettext("The emulator did not answer: %(error)s") % {"error": exc})
    return HttpResponseRedirect(request.path)
