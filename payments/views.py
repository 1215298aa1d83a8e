"""The donor's pages: give (amount, name, message) → pay (WeChat's JSAPI inside WeChat, a Native
QR code elsewhere) → thanks (waits for the payment, polling our own order state).

Inside WeChat the payer's openid comes from the audience app's web authorization (snsapi_base),
which keeps it in the session; the order then pays with JSAPI. Whether a page is shown in WeChat
is read from the user agent: it only chooses the way to pay, it grants nothing.
"""

import segno
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from audience.views import SESSION_OPENID, follower_required
from core.throttle import Throttled, client_ip, throttle
from donations.models import DonationProject

from . import certificate
from .errors import PaymentError
from .forms import GiveForm
from .gateway import WeChatPayGateway
from .models import OnlineOrder, OrderState, TradeType
from .services import Donation, GiveError, online_giving_enabled, order_create


def in_wechat(request) -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def _project(pk: int) -> DonationProject:
    if not online_giving_enabled():
        raise Http404
    return get_object_or_404(DonationProject.objects.published(), pk=pk)


@never_cache
@require_http_methods(["GET", "POST"])
def give(request, pk: int):
    project = _project(pk)
    openid = request.session.get(SESSION_OPENID, "") if in_wechat(request) else ""
    if in_wechat(request) and not openid:
        # WeChat's web authorization first (audience), then back here with the openid.
        return follower_required(lambda request: None)(request)
    form = GiveForm(request.POST or None, initial={"preset": _default_preset()})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            throttle([f"give:{client_ip(request)}"], settings.PAYMENTS_ORDER_IP_LIMITS)
        except Throttled as exc:
            minutes = max(1, exc.retry_after // 60)
            error = ngettext(
                "Too many orders from your network. Please try again in %(minutes)d minute.",
                "Too many orders from your network. Please try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
            return render(
                request,
                "payments/give.html",
                {"project": project, "form": form, "error": error, "in_wechat": bool(openid)},
                status=429,
            )
        try:
            order = order_create(
                donation=Donation(
                    project=project,
                    amount=data["amount"],
                    donor_name="" if data["anonymous"] else data["donor_name"],
                    anonymous=data["anonymous"],
                    message=data["message"],
                    email=data["email"],
                    show_amount=not data["hide_amount"],
                ),
                openid=openid,
                source=request.GET.get("src", ""),
            )
        except GiveError as exc:
            error = exc.message
        else:
            return redirect("payments:pay", out_trade_no=order.out_trade_no)
    return render(
        request,
        "payments/give.html",
        {
            "project": project,
            "form": form,
            "error": error,
            "in_wechat": bool(openid),
            "publish_messages": settings.PAYMENTS_PUBLISH_MESSAGES,
        },
        status=400 if request.method == "POST" else 200,
    )


def _default_preset() -> str:
    presets = settings.DONATIONS_ONLINE_PRESETS
    return f"{presets[min(1, len(presets) - 1)]:f}" if presets else "other"


def _order(out_trade_no: str) -> OnlineOrder:
    if not online_giving_enabled():
        raise Http404
    return get_object_or_404(
        OnlineOrder.objects.select_related("project"), out_trade_no=out_trade_no
    )


@never_cache
def pay(request, out_trade_no: str):
    order = _order(out_trade_no)
    if order.state != OrderState.PENDING:
        return redirect("payments:thanks", out_trade_no=order.out_trade_no)
    thanks_url = request.build_absolute_uri(
        reverse("payments:thanks", kwargs={"out_trade_no": order.out_trade_no})
    )
    context = {
        "order": order,
        "project": order.project,
        "thanks_url": thanks_url,
        "state_url": reverse("payments:state", kwargs={"out_trade_no": order.out_trade_no}),
        "emulator_url": "",
        "jsapi": None,
        "qr_svg": "",
    }
    gateway = WeChatPayGateway()
    if order.trade_type == TradeType.JSAPI:
        try:
            context["jsapi"] = gateway.jsapi_pay_params(order.prepay_id)
        except PaymentError:
            context["jsapi"] = None
        token = order.prepay_id
    else:
        context["qr_svg"] = segno.make(order.code_url, error="m").svg_inline(
            scale=5, border=2, title=str(order.project.title)
        )
        token = order.code_url.rsplit("=", 1)[-1]
    if settings.WECHATPAY_EMULATOR:
        # The emulator's stand-in for WeChat's payment sheet (payments/README.md).
        context["emulator_url"] = (
            f"{settings.WECHATPAY_BASE_URL.rstrip('/')}/pay/{token}?"
            + urlencode({"return": thanks_url})
        )
    return render(request, "payments/pay.html", context)


@never_cache
def order_state(request, out_trade_no: str):
    order = _order(out_trade_no)
    return JsonResponse({"state": order.state})


@never_cache
def thanks(request, out_trade_no: str):
    order = _order(out_trade_no)
    return render(
        request,
        "payments/thanks.html",
        {
            "order": order,
            "project": order.project,
            "State": OrderState,
            "certificate": order.state == OrderState.PAID and certificate.available(),
            "state_url": reverse("payments:state", kwargs={"out_trade_no": order.out_trade_no}),
        },
    )


@never_cache
def certificate_image(request, out_trade_no: str):
    """The donor's certificate (PNG), with the amount as the donor chose on the give form;
    `?amount=0` leaves it off, `?amount=1` shows it."""
    order = _order(out_trade_no)
    show_amount = {"0": False, "1": True}.get(request.GET.get("amount", ""), order.show_amount)
    try:
        png = certificate.certificate_png(order, show_amount=show_amount)
    except ValueError as exc:
        raise Http404 from exc
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="certificate-{order.out_trade_no}.png"'
    return response
