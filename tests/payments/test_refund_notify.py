"""WeChat Pay's refund result arrives as a signed, encrypted REFUND.* notification and marks the
refund refunded (or failed); one for another merchant changes nothing."""

import time
from decimal import Decimal

import pytest

from editorial.models import State
from payments.models import RefundState
from payments.refunds import refund_approve, refund_record_result, refund_request
from payments.services import Donation, order_create
from tests.factories import DonationProjectFactory, DonationsOfficerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent_refund(pay_emulator, live_server, settings, donations_officer):
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/payments/notify/"
    project = DonationProjectFactory(state=State.PUBLISHED)
    order = order_create(
        donation=Donation(
            project=project, amount=Decimal("50"), donor_name="林晓舟", anonymous=False, message=""
        )
    )
    pay_emulator.state.pay(order.out_trade_no)
    # The payment's notification records it (read the database once it has been answered: the
    # live server shares the test's SQLite connection).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _answered(pay_emulator):
        time.sleep(0.05)
    order.refresh_from_db()
    refund = refund_request(order=order, amount=Decimal("10"), reason="重复", by=donations_officer)
    return refund_approve(refund=refund, by=DonationsOfficerFactory(username="officer2"))


def _answered(emulator, event="TRANSACTION.SUCCESS") -> bool:
    return any(
        attempt["status"] == 204
        for note in emulator.state.snapshot()["notifications"]
        if note["event_type"] == event
        for attempt in note["attempts"]
    )


def test_the_refund_notification_marks_the_refund_refunded(sent_refund, pay_emulator):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _answered(pay_emulator, "REFUND.SUCCESS"):
        time.sleep(0.05)
    sent_refund.refresh_from_db()
    assert sent_refund.state == RefundState.REFUNDED


def test_a_refund_result_for_another_merchant_changes_nothing(pay_emulator, settings):
    settings.WECHATPAY_MCHID = "1900000999"
    assert refund_record_result(resource={"mchid": "1111111111", "out_refund_no": "R1"}) is None
