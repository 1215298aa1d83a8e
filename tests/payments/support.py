"""Orders and WeChat Pay notifications for the payments tests."""

import json
import secrets
import time
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from editorial.models import State
from payments.models import OnlineOrder, TradeType
from payments.services import Donation, order_create
from tests.factories import DonationProjectFactory


class OnlineOrderFactory(DjangoModelFactory):
    class Meta:
        model = OnlineOrder

    out_trade_no = factory.Sequence(lambda n: f"GTEST{n:010d}")
    project = factory.SubFactory(DonationProjectFactory, state=State.PUBLISHED)
    amount_fen = 10000
    donor_name = "林晓舟"
    trade_type = TradeType.NATIVE


def placed_order(project, amount: str = "88.88", donor_name: str = "林晓舟") -> OnlineOrder:
    """An order for `amount` yuan placed through the service, as the give form places it."""
    return order_create(
        donation=Donation(
            project=project,
            amount=Decimal(amount),
            donor_name=donor_name,
            anonymous=False,
            message="",
        )
    )


def transaction_resource(order, settings, **changes) -> dict:
    """What WeChat Pay's TRANSACTION.SUCCESS resource says about `order`, with `changes`."""
    resource = {
        "appid": settings.WECHATPAY_APPID,
        "mchid": settings.WECHATPAY_MCHID,
        "out_trade_no": order.out_trade_no,
        "transaction_id": f"4200{secrets.randbelow(10**24):024d}",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "success_time": "2026-12-02T20:00:00+08:00",
        "payer": {"openid": "o-payer"},
        "amount": {"total": order.amount_fen, "payer_total": order.amount_fen, "currency": "CNY"},
    }
    for key, value in changes.items():
        if key in ("total", "currency"):
            resource["amount"][key] = value
        else:
            resource[key] = value
    return resource


def notification(state, resource: dict, *, bad=False, timestamp=None, event="TRANSACTION.SUCCESS"):
    """(Django client headers, body) of a notification the emulator signs (its platform key)."""
    body = state.notification_body(event, "transaction", resource)
    headers = state.signed_headers(body, bad=bad)
    if timestamp is not None:
        nonce = headers["Wechatpay-Nonce"]
        headers["Wechatpay-Timestamp"] = str(timestamp)
        headers["Wechatpay-Signature"] = state.sign(f"{timestamp}\n{nonce}\n{body}\n")
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return extra, body


def post_notification(client, extra, body):
    return client.post("/payments/notify/", data=body, content_type="application/json", **extra)


def stale(seconds: int) -> int:
    return int(time.time()) - seconds


def loads(response):
    return json.loads(response.content or b"{}")
