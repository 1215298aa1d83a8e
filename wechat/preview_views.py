"""Linking a staff member's own WeChat for push previews (wechat.services.preview_link).

In the admin, "My WeChat" (/admin/wechat/my-wechat/, also the preview section of a push) shows
a QR code of a one-time link, or the linked WeChat with an unlink button. On the phone, the
link's page (/wechat/link/?t=…) needs no login: it names whose previews the WeChat will
receive, and on confirmation goes through WeChat's web authorization (snsapi_base) to
/wechat/link/oauth/, which links the openid. The token travels in the query string, which
neither the access log nor our log records (core/redaction.py), and then in the session.
"""

import logging
import secrets

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.names import display_name
from editorial.errors import EditorialError

from .errors import RetryableError, WeChatError
from .gateway import WeChatGateway
from .services.preview_link import (
    LINK_INVALID,
    preview_link_complete,
    preview_link_create,
    preview_link_holder,
    preview_recipient,
    preview_recipient_unlink,
)

logger = logging.getLogger(__name__)

SESSION_LINK = "wechat_preview_link"


def link_url(token: str) -> str:
    """The address of a link token's page, for the phone (from SITE_URL, which WeChat reaches)."""
    return f"{settings.SITE_URL.rstrip('/')}{reverse('wechat:preview_link')}?t={token}"


def qr_svg(url: str) -> str:
    """`url` as an inline SVG QR code (dark on white, so a phone reads it in dark mode too)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=5, light="#fff", svgclass="preview-link-qr-code")
    return mark_safe(svg)  # noqa: S308 - segno's own markup of our URL; no user input in it


def preview_link_context(request: HttpRequest) -> dict:
    """What the preview-link panel (admin/wechat/preview_link_panel.html) shows `request.user`:
    their linked WeChat, or a new one-time link and its QR code."""
    recipient = preview_recipient(user=request.user)
    context = {"preview_recipient": recipient, "preview_next": request.get_full_path()}
    if recipient is None:
        url = link_url(preview_link_create(user=request.user))
        context.update(preview_link_url=url, preview_link_qr=qr_svg(url))
    return context


@never_cache
def my_wechat(request: HttpRequest):
    """The admin's "My WeChat": link it (QR code), see it linked, unlink it (POST)."""
    if request.method == "POST":
        unlink = request.POST.get("action") == "unlink"
        if unlink and preview_recipient_unlink(user=request.user):
            messages.success(request, gettext("Your WeChat was unlinked."))
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("wechat_my_wechat")
        return redirect(next_url)
    if request.GET.get("format") == "json":
        # What the QR panel polls, to show the link as soon as the phone has made it.
        return JsonResponse({"linked": preview_recipient(user=request.user) is not None})
    context = {
        **admin.site.each_context(request),
        "title": gettext("My WeChat"),
        **preview_link_context(request),
    }
    return render(request, "admin/wechat/my_wechat.html", context)


my_wechat_admin = admin.site.admin_view(require_http_methods(["GET", "POST"])(my_wechat))


def _problem(request: HttpRequest, message, *, status: int = 400):
    return render(request, "wechat/link_problem.html", {"message": message}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def preview_link(request: HttpRequest):
    """The link's page on the phone: whose previews this WeChat will receive, and a button that
    goes through WeChat's web authorization (a GET alone links nothing)."""
    token = (request.POST if request.method == "POST" else request.GET).get("t", "")
    holder = preview_link_holder(token=token)
    if holder is None:
        return _problem(request, LINK_INVALID)
    if request.method == "GET":
        return render(request, "wechat/link.html", {"holder": display_name(holder), "token": token})
    state = secrets.token_urlsafe(16)
    request.session[SESSION_LINK] = {"token": token, "state": state}
    redirect_uri = request.build_absolute_uri(reverse("wechat:preview_link_oauth"))
    return redirect(WeChatGateway().oauth_authorize_url(redirect_uri, state))


@never_cache
def preview_link_oauth(request: HttpRequest):
    """WeChat sends the phone back here with `code` and our `state`; link the openid."""
    pending = request.session.pop(SESSION_LINK, None) or {}
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    expected = pending.get("state", "")
    if not (expected and code and constant_time_compare(expected, state)):
        return _problem(request, LINK_INVALID)
    try:
        openid = WeChatGateway().oauth_openid(code)
    except RetryableError:
        return _problem(
            request, gettext("WeChat could not be reached. Please try again shortly."), status=503
        )
    except WeChatError as exc:
        logger.info("Web authorization for a preview link failed: %s", exc.errcode)
        return _problem(request, LINK_INVALID)
    try:
        recipient = preview_link_complete(token=pending.get("token", ""), openid=openid)
    except EditorialError as exc:
        return _problem(request, str(exc))
    return render(request, "wechat/link_done.html", {"holder": display_name(recipient.user)})
