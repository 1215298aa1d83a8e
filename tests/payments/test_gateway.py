"""The payments gateway against the payment emulator: signed requests, verified answers, every
call of CONTRACT.md §17, and the refusals (an answer or notification not signed by the platform
key, a stale one, one that does not decrypt)."""

import json
import time
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payments import crypto
from payments.errors import (
    InvalidPaymentRequestError,
    NotificationError,
    OrderNotFoundError,
    PaymentError,
    RetryablePaymentError,
    SignatureError,
)
from payments.gateway import WeChatPayGateway


def _native(gateway, no="GIFT000001", fen=100):
    return gateway.native_order(
        out_trade_no=no,
        description="校园捐赠-图书馆",
        amount_fen=fen,
        notify_url="https://alumni.example.edu.cn/payments/notify/",
    )


def test_native_order_returns_a_code_url(pay_gateway, pay_emulator):
    code_url = _native(pay_gateway)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert pay_emulator.state.snapshot()["orders"]["GIFT000001"]["total"] == 100


def test_jsapi_order_returns_prepay_id_and_signed_page_parameters(pay_gateway, pay_emulator):
    prepay_id = pay_gateway.jsapi_order(
        out_trade_no="GIFT000002",
        description="捐赠",
        amount_fen=5000,
        openid="o-follower-1",
        notify_url="https://alumni.example.edu.cn/payments/notify/",
    )
    params = pay_gateway.jsapi_pay_params(prepay_id)
    assert params["package"] == f"prepay_id={prepay_id}"
    assert params["signType"] == "RSA"
    merchant_public = crypto.load_private_key(pay_gateway.config.private_key_path).public_key()
    message = (
        f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    )
    assert crypto.verify(merchant_public, message, params["paySign"])


def test_a_request_signed_with_another_key_is_refused(pay_gateway, tmp_path, settings):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "other.pem"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(path)
    with pytest.raises(InvalidPaymentRequestError) as caught:
        _native(WeChatPayGateway())
    assert caught.value.code == "SIGN_ERROR"


def test_an_answer_not_signed_by_the_platform_key_is_refused(pay_gateway, tmp_path, settings):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "pub.pem"
    path.write_bytes(
        other.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = str(path)
    with pytest.raises(SignatureError):
        _native(WeChatPayGateway())


def test_an_answer_from_another_platform_key_id_is_refused(pay_gateway, settings):
    settings.WECHATPAY_PLATFORM_SERIAL = "PUB_KEY_ID_SOMEONE_ELSE"
    with pytest.raises(SignatureError):
        _native(WeChatPayGateway())


def test_query_reports_unpaid_then_paid(pay_gateway, pay_emulator):
    _native(pay_gateway)
    assert pay_gateway.query_order("GIFT000001").trade_state == "NOTPAY"
    pay_emulator.state.pay("GIFT000001")
    paid = pay_gateway.query_order("GIFT000001")
    assert (paid.trade_state, paid.total_fen, paid.payer_total_fen) == ("SUCCESS", 100, 100)
    assert paid.transaction_id.startswith("4200")
    assert (paid.mchid, paid.appid) == (pay_gateway.config.mchid, pay_gateway.config.appid)


def test_query_of_an_unknown_order_raises_not_found(pay_gateway):
    with pytest.raises(OrderNotFoundError):
        pay_gateway.query_order("GIFT-UNKNOWN")


def test_close_closes_an_unpaid_order(pay_gateway, pay_emulator):
    _native(pay_gateway)
    pay_gateway.close_order("GIFT000001")
    assert pay_gateway.query_order("GIFT000001").trade_state == "CLOSED"


def test_server_errors_are_retryable(pay_gateway, pay_emulator):
    pay_emulator.state.set_faults(http_status=503, times=1)
    with pytest.raises(RetryablePaymentError):
        _native(pay_gateway)
    assert _native(pay_gateway)  # the fault has passed


def test_the_same_order_again_gets_the_same_code_url(pay_gateway):
    assert _native(pay_gateway) == _native(pay_gateway)


def test_refund_of_a_paid_order(pay_gateway, pay_emulator):
    _native(pay_gateway, fen=300)
    pay_emulator.state.pay("GIFT000001")
    answer = pay_gateway.refund(
        out_trade_no="GIFT000001",
        out_refund_no="REFUND0001",
        refund_fen=100,
        total_fen=300,
        reason="捐赠人申请",
        notify_url="",
    )
    assert answer["status"] == "PROCESSING"
    assert pay_gateway.query_order("GIFT000001").trade_state == "REFUND"


def test_trade_bill_lists_the_days_payments(pay_gateway, pay_emulator):
    _native(pay_gateway, fen=12345)
    paid = pay_emulator.state.pay("GIFT000001")
    day = date.fromisoformat(paid["success_time"][:10])
    bill = pay_gateway.trade_bill(day)
    lines = bill.splitlines()
    assert lines[0].startswith("交易时间,")
    assert "`GIFT000001" in lines[1] and "`123.45" in lines[1]
    assert lines[-1].startswith("`1,`123.45")


def test_a_day_without_payments_or_refunds_has_an_empty_bill(pay_gateway, pay_emulator):
    """WeChat Pay makes no bill for such a day (400 NO_STATEMENT_EXIST): nothing to compare."""
    assert pay_gateway.trade_bill(date(2026, 1, 5)) == ""


def test_a_bill_still_being_made_is_asked_for_again_later(pay_gateway, pay_emulator):
    _native(pay_gateway)
    paid = pay_emulator.state.pay("GIFT000001")
    pay_emulator.state.set_faults(statement_creating=1)
    day = date.fromisoformat(paid["success_time"][:10])
    with pytest.raises(RetryablePaymentError) as caught:
        pay_gateway.trade_bill(day)
    assert caught.value.code == "STATEMENT_CREATING"
    assert "`GIFT000001" in pay_gateway.trade_bill(day)


def test_a_refund_is_a_line_of_the_day_it_was_made(pay_gateway, pay_emulator):
    _native(pay_gateway, fen=5000)
    paid = pay_emulator.state.pay("GIFT000001")
    pay_gateway.refund(out_trade_no="GIFT000001", out_refund_no="R000001", refund_fen=1000,
                       total_fen=5000, reason="", notify_url="")  # fmt: skip
    day = date.fromisoformat(paid["success_time"][:10])
    next_day = (day + timedelta(days=1)).isoformat()
    pay_emulator.state.refunds["R000001"]["created"] = f"{next_day}T09:00:00+08:00"
    states = [line.split(",")[9] for line in pay_gateway.trade_bill(day).splitlines()[1:-2]]
    assert states == ["`SUCCESS"]
    refund_day = pay_gateway.trade_bill(day + timedelta(days=1)).splitlines()
    assert [line.split(",")[9] for line in refund_day[1:-2]] == ["`REFUND"]
    assert refund_day[-1].startswith("`0,`0.00,`10.00")


# notifications


def _notification(state, resource: dict, *, event="TRANSACTION.SUCCESS", bad=False):
    body = state.notification_body(event, "transaction", resource)
    return state.signed_headers(body, bad=bad), body.encode()


RESOURCE = {"out_trade_no": "GIFT000001", "trade_state": "SUCCESS", "amount": {"total": 100}}


def test_a_signed_notification_is_decrypted(pay_gateway, pay_emulator):
    headers, body = _notification(pay_emulator.state, RESOURCE)
    notification = pay_gateway.parse_notification(headers=headers, body=body, max_age=300)
    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.resource == RESOURCE


def test_a_notification_with_a_wrong_signature_is_refused(pay_gateway, pay_emulator):
    headers, body = _notification(pay_emulator.state, RESOURCE, bad=True)
    with pytest.raises(NotificationError):
        pay_gateway.parse_notification(headers=headers, body=body, max_age=300)


def test_a_stale_notification_is_refused(pay_gateway, pay_emulator):
    headers, body = _notification(pay_emulator.state, RESOURCE)
    with pytest.raises(NotificationError):
        pay_gateway.parse_notification(
            headers=headers, body=body, max_age=300, now=time.time() + 301
        )


def test_a_notification_encrypted_with_another_key_is_refused(pay_gateway, pay_emulator):
    pay_emulator.state.configure(api_v3_key="another-apiv3-key-00000000000000")
    headers, body = _notification(pay_emulator.state, RESOURCE)
    with pytest.raises(NotificationError):
        pay_gateway.parse_notification(headers=headers, body=body, max_age=300)


def test_a_notification_whose_body_was_changed_is_refused(pay_gateway, pay_emulator):
    headers, body = _notification(pay_emulator.state, RESOURCE)
    data = json.loads(body)
    data["event_type"] = "TRANSACTION.SUCCESS "
    with pytest.raises(NotificationError):
        pay_gateway.parse_notification(headers=headers, body=json.dumps(data).encode(), max_age=300)


def test_a_bill_changed_on_the_way_is_refused(pay_gateway, pay_emulator, monkeypatch):
    _native(pay_gateway)
    paid = pay_emulator.state.pay("GIFT000001")
    real = pay_emulator.state.bill_file
    monkeypatch.setattr(
        pay_emulator.state, "bill_file", lambda token: real(token).replace(b"`1.00", b"`9.99")
    )
    with pytest.raises(PaymentError, match="SHA1"):
        pay_gateway.trade_bill(date.fromisoformat(paid["success_time"][:10]))
