"""The notification endpoint records a paid order as a Gift once, and only after checking
everything: each guard has a test that sends the attack and finds nothing recorded."""

import pytest

from donations.models import Channel, Gift
from editorial.models import AuditEntry
from payments.models import OrderState
from tests.payments.support import (
    OnlineOrderFactory,
    notification,
    post_notification,
    stale,
    transaction_resource,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return OnlineOrderFactory(amount_fen=12345, donor_name="林晓舟", message="回馈母校")


def _send(client, pay_emulator, resource, **options):
    extra, body = notification(pay_emulator.state, resource, **options)
    return post_notification(client, extra, body)


def test_a_genuine_notification_records_the_gift(client, pay_emulator, order, settings):
    response = _send(client, pay_emulator, transaction_resource(order, settings))
    assert response.status_code == 204
    order.refresh_from_db()
    gift = order.gift
    assert order.state == OrderState.PAID and order.paid_via == "notification"
    assert (gift.amount, gift.donor_name, gift.channel) == (
        order.amount,
        "林晓舟",
        Channel.WECHAT_PAY,
    )
    assert str(gift.amount) == "123.45"
    assert gift.message == ""  # the officer reads it first (PAYMENTS_PUBLISH_MESSAGES off)
    assert order.message == "回馈母校"


def test_with_publishing_on_the_message_goes_onto_the_gift(client, pay_emulator, order, settings):
    settings.PAYMENTS_PUBLISH_MESSAGES = True
    _send(client, pay_emulator, transaction_resource(order, settings))
    assert Gift.objects.get().message == "回馈母校"


def test_the_gifts_audit_entry_names_the_system_and_the_payment(
    client, pay_emulator, order, settings
):
    resource = transaction_resource(order, settings)
    _send(client, pay_emulator, resource)
    entry = AuditEntry.objects.get(action="donations.gift.created")
    assert entry.user is None
    assert resource["transaction_id"] in entry.comment


def test_a_duplicate_notification_records_nothing_more(client, pay_emulator, order, settings):
    resource = transaction_resource(order, settings)
    first = _send(client, pay_emulator, resource)
    again = _send(client, pay_emulator, resource)
    assert (first.status_code, again.status_code) == (204, 204)
    assert Gift.objects.count() == 1


def test_a_replayed_identical_notification_records_nothing_more(
    client, pay_emulator, order, settings
):
    extra, body = notification(pay_emulator.state, transaction_resource(order, settings))
    post_notification(client, extra, body)
    replay = post_notification(client, extra, body)
    assert replay.status_code == 204
    assert Gift.objects.count() == 1


def test_a_wrongly_signed_notification_records_nothing(client, pay_emulator, order, settings):
    response = _send(client, pay_emulator, transaction_resource(order, settings), bad=True)
    assert response.status_code == 401
    assert Gift.objects.count() == 0
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_an_unsigned_notification_records_nothing(client, pay_emulator, order, settings):
    _, body = notification(pay_emulator.state, transaction_resource(order, settings))
    response = client.post("/payments/notify/", data=body, content_type="application/json")
    assert response.status_code == 401
    assert Gift.objects.count() == 0


def test_a_stale_notification_records_nothing(client, pay_emulator, order, settings):
    settings.WECHATPAY_NOTIFY_MAX_AGE = 300
    resource = transaction_resource(order, settings)
    response = _send(client, pay_emulator, resource, timestamp=stale(301))
    assert response.status_code == 401
    assert Gift.objects.count() == 0


def test_a_notification_encrypted_with_another_key_records_nothing(
    client, pay_emulator, order, settings
):
    pay_emulator.state.configure(api_v3_key="forged-apiv3-key-000000000000000")
    response = _send(client, pay_emulator, transaction_resource(order, settings))
    assert response.status_code == 401
    assert Gift.objects.count() == 0


@pytest.mark.parametrize(
    "tampered",
    [
        {"total": 1},  # one fen paid for a ¥123.45 order
        {"total": 1234500},
        {"currency": "USD"},
        {"mchid": "1900009999"},
        {"appid": "wx-someone-else"},
        {"trade_state": "NOTPAY"},
        {"transaction_id": ""},
    ],
    ids=["less", "more", "currency", "mchid", "appid", "unpaid", "no-transaction"],
)
def test_a_signed_notification_that_does_not_match_the_order_records_nothing(
    client, pay_emulator, order, settings, tampered
):
    response = _send(client, pay_emulator, transaction_resource(order, settings, **tampered))
    assert response.status_code == 400
    assert Gift.objects.count() == 0
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_a_notification_of_an_unknown_order_records_nothing(client, pay_emulator, settings):
    order = OnlineOrderFactory.build(out_trade_no="GNOTOURS0001")
    response = _send(client, pay_emulator, transaction_resource(order, settings))
    assert response.status_code == 400
    assert Gift.objects.count() == 0


def test_an_oversized_notification_is_refused(client, pay_emulator, order, settings):
    settings.WECHATPAY_NOTIFY_MAX_BYTES = 100
    response = _send(client, pay_emulator, transaction_resource(order, settings))
    assert response.status_code == 400
    assert Gift.objects.count() == 0


def test_get_is_not_allowed(client, pay_emulator):
    assert client.get("/payments/notify/").status_code == 405


def test_an_anonymous_order_gives_an_anonymous_gift(client, pay_emulator, settings):
    order = OnlineOrderFactory(donor_name="", anonymous=True)
    _send(client, pay_emulator, transaction_resource(order, settings))
    gift = Gift.objects.get()
    assert gift.anonymous is True


def test_a_worker_dying_after_the_gift_was_written_leaves_nothing_and_the_retry_records_once(
    client, pay_emulator, order, settings, monkeypatch
):
    """The gift and the order's link are one transaction: a crash between them (here an error
    raised right after the gift's insert) rolls the gift back, and WeChat Pay's retry records
    it once."""
    from payments import services

    real = services.gift_record_online

    def crash_after_writing(**kwargs):
        real(**kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "gift_record_online", crash_after_writing)
    resource = transaction_resource(order, settings)
    from payments.gateway import Transaction

    with pytest.raises(RuntimeError):
        services.order_record_payment(
            transaction_data=Transaction.from_json(resource), via="notification"
        )
    assert Gift.objects.count() == 0
    monkeypatch.setattr(services, "gift_record_online", real)
    assert _send(client, pay_emulator, resource).status_code == 204
    assert Gift.objects.count() == 1
