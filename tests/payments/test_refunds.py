"""Refunds of online gifts need two people: one asks, another approves; only then is WeChat Pay
(the emulator) asked, and the gift is reduced with an audit entry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from donations.models import Gift
from editorial.errors import NotAllowedError
from editorial.models import AuditEntry, State
from payments.gateway import WeChatPayGateway
from payments.models import DiscrepancyKind, OrderState, Refund, RefundState
from payments.reconciliation import reconcile_day
from payments.refunds import (
    RefundError,
    refund_approve,
    refund_reject,
    refund_request,
    refunds_resend,
)
from payments.services import Donation, order_create, order_query
from tests.factories import DonationProjectFactory, DonationsOfficerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_officer(db):
    return DonationsOfficerFactory(username="officer2")


@pytest.fixture
def paid(pay_emulator):
    project = DonationProjectFactory(state=State.PUBLISHED)
    order = order_create(
        donation=Donation(
            project=project,
            amount=Decimal("300.00"),
            donor_name="林晓舟",
            anonymous=False,
            message="",
        )
    )
    pay_emulator.state.pay(order.out_trade_no)
    order_query(order_id=order.pk)
    order.refresh_from_db()
    return order


def test_the_requester_cannot_approve_their_own_refund(paid, donations_officer):
    refund = refund_request(
        order=paid, amount=Decimal("100"), reason="重复支付", by=donations_officer
    )
    with pytest.raises(NotAllowedError):
        refund_approve(refund=refund, by=donations_officer)
    refund.refresh_from_db()
    assert refund.state == RefundState.REQUESTED


def test_a_second_officer_approves_and_the_gift_is_reduced(
    paid, donations_officer, second_officer, pay_emulator
):
    refund = refund_request(
        order=paid, amount=Decimal("100"), reason="重复支付", by=donations_officer
    )
    refund = refund_approve(refund=refund, by=second_officer)
    assert refund.state == RefundState.SENT and refund.refund_id
    assert pay_emulator.state.snapshot()["orders"][paid.out_trade_no]["refunded"] == 10000
    assert Gift.objects.get().amount == Decimal("200.00")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"payments.refund.requested", "payments.refund.approved"} <= actions
    assert "donations.gift.changed" in actions


def test_a_full_refund_removes_the_gift(paid, donations_officer, second_officer):
    refund = refund_request(
        order=paid, amount=Decimal("300"), reason="捐赠人撤回", by=donations_officer
    )
    refund_approve(refund=refund, by=second_officer)
    assert Gift.objects.count() == 0
    paid.refresh_from_db()
    assert paid.state == OrderState.CLOSED


def test_more_than_was_paid_cannot_be_refunded(paid, donations_officer):
    refund_request(order=paid, amount=Decimal("200"), reason="部分退款", by=donations_officer)
    with pytest.raises(RefundError):
        refund_request(order=paid, amount=Decimal("100.01"), reason="再退", by=donations_officer)


def test_an_editor_cannot_ask_for_a_refund(paid, editor):
    with pytest.raises(NotAllowedError):
        refund_request(order=paid, amount=Decimal("1"), reason="试试", by=editor)


def test_a_refund_needs_a_reason(paid, donations_officer):
    with pytest.raises(RefundError):
        refund_request(order=paid, amount=Decimal("1"), reason=" ", by=donations_officer)


def test_a_rejected_refund_is_never_sent(paid, donations_officer, second_officer, pay_emulator):
    refund = refund_request(order=paid, amount=Decimal("1"), reason="误操作", by=donations_officer)
    refund_reject(refund=refund, by=second_officer, note="无需退款")
    with pytest.raises(RefundError):
        refund_approve(refund=refund, by=second_officer)
    assert pay_emulator.state.snapshot()["refunds"] == {}
    assert Gift.objects.get().amount == Decimal("300.00")


def test_the_reconciliation_lists_the_refund(paid, donations_officer, second_officer):
    refund = refund_request(order=paid, amount=Decimal("300"), reason="撤回", by=donations_officer)
    refund_approve(refund=refund, by=second_officer)
    run = reconcile_day(day=timezone.localdate())
    assert list(run.discrepancies.values_list("kind", "out_trade_no")) == [
        (DiscrepancyKind.REFUNDED, paid.out_trade_no)
    ]


def test_the_officer_asks_in_the_admin(paid, donations_officer, client):
    client.force_login(donations_officer)
    response = client.post(
        "/admin/payments/refund/add/", {"order": paid.pk, "amount": "50", "reason": "重复支付"}
    )
    assert response.status_code == 302
    assert paid.refunds.get().requested_by == donations_officer


def test_an_online_gift_is_not_deleted_in_the_admin(paid, donations_officer, client):
    client.force_login(donations_officer)
    url = f"/admin/donations/gift/{paid.gift_id}/delete/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})
    assert response.status_code in (200, 403)
    assert Gift.objects.filter(pk=paid.gift_id).exists()


def _unanswered(paid, donations_officer, second_officer, pay_emulator) -> Refund:
    """An approved refund of ¥100 whose request WeChat Pay did not answer (a 500)."""
    refund = refund_request(
        order=paid, amount=Decimal("100"), reason="重复支付", by=donations_officer
    )
    pay_emulator.state.set_faults(http_status=500, times=1, paths=["/v3/refund/"])
    return refund_approve(refund=refund, by=second_officer)


def _due(refund) -> None:
    Refund.objects.filter(pk=refund.pk).update(decided_at=timezone.now() - timedelta(minutes=5))


def test_a_refund_wechat_pay_did_not_answer_stays_sent_and_its_amount_taken(
    paid, donations_officer, second_officer, pay_emulator
):
    """It may have been made: marking it failed would let a second refund of the same money
    be asked for."""
    refund = _unanswered(paid, donations_officer, second_officer, pay_emulator)
    refund.refresh_from_db()
    assert (refund.state, refund.refund_id) == (RefundState.SENT, "")
    assert "500" in refund.error
    assert Gift.objects.get().amount == Decimal("300.00")
    with pytest.raises(RefundError):
        refund_request(order=paid, amount=Decimal("200.01"), reason="再退", by=donations_officer)


def test_an_unanswered_refund_is_sent_again_and_reduces_the_gift_once(
    paid, donations_officer, second_officer, pay_emulator
):
    refund = _unanswered(paid, donations_officer, second_officer, pay_emulator)
    _due(refund)
    assert refunds_resend() == 1
    assert refunds_resend() == 0
    refund.refresh_from_db()
    assert (refund.state, refund.error) == (RefundState.SENT, "")
    assert refund.refund_id
    assert Gift.objects.get().amount == Decimal("200.00")
    assert pay_emulator.state.snapshot()["orders"][paid.out_trade_no]["refunded"] == 10000


def test_a_refund_made_but_not_answered_is_not_made_twice(
    paid, donations_officer, second_officer, pay_emulator
):
    """WeChat Pay made it, the answer was lost: sending again under the same number gets the
    first answer."""
    refund = _unanswered(paid, donations_officer, second_officer, pay_emulator)
    made = WeChatPayGateway().refund(
        out_trade_no=paid.out_trade_no, out_refund_no=refund.out_refund_no, refund_fen=10000,
        total_fen=30000, reason="", notify_url="",
    )  # fmt: skip
    _due(refund)
    refunds_resend()
    refund.refresh_from_db()
    assert refund.refund_id == made["refund_id"]
    assert pay_emulator.state.snapshot()["orders"][paid.out_trade_no]["refunded"] == 10000
    assert Gift.objects.get().amount == Decimal("200.00")


def test_a_refund_just_approved_is_left_to_its_own_answer(
    paid, donations_officer, second_officer, pay_emulator
):
    _unanswered(paid, donations_officer, second_officer, pay_emulator)
    assert refunds_resend() == 0


def test_the_officer_is_told_an_unanswered_refund_will_be_sent_again(
    paid, donations_officer, second_officer, pay_emulator, client
):
    refund = refund_request(
        order=paid, amount=Decimal("100"), reason="重复支付", by=donations_officer
    )
    pay_emulator.state.set_faults(http_status=500, times=1, paths=["/v3/refund/"])
    client.force_login(second_officer)
    page = client.post(
        "/admin/payments/refund/",
        {"action": "approve", "_selected_action": [refund.pk]},
        follow=True,
    )
    assert "微信支付未应答" in page.content.decode()
