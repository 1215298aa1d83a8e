"""Daily reconciliation against the emulator's trade bill: each kind of difference found,
reruns idempotent, and resolving one is the donations officer's, with a note and an audit
entry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from editorial.errors import NotAllowedError
from editorial.models import AuditEntry, State
from payments.gateway import Transaction
from payments.models import Discrepancy, DiscrepancyKind, OnlineOrder, OrderState, Reconciliation
from payments.reconciliation import (
    discrepancy_resolve,
    parse_trade_bill,
    reconcile_day,
    reconcile_yesterday,
)
from payments.services import (
    Donation,
    order_create,
    order_query,
    order_record_payment,
    orders_query_late,
)
from tests.factories import DonationProjectFactory
from tests.payments.support import OnlineOrderFactory, transaction_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return DonationProjectFactory(state=State.PUBLISHED)


def _paid_at_wechat(pay_emulator, project, amount="100.00", *, record=True) -> OnlineOrder:
    order = order_create(
        donation=Donation(
            project=project,
            amount=Decimal(amount),
            donor_name="林晓舟",
            anonymous=False,
            message="",
        )
    )
    pay_emulator.state.pay(order.out_trade_no)
    if record:
        order_query(order_id=order.pk)
    order.refresh_from_db()
    return order


def _kinds(run) -> set:
    return set(run.discrepancies.values_list("kind", "out_trade_no"))


def test_the_bill_parses_into_lines(pay_emulator, pay_gateway, project):
    order = _paid_at_wechat(pay_emulator, project, "12.34")
    lines = parse_trade_bill(pay_gateway.trade_bill(timezone.localdate()))
    assert [(line.out_trade_no, line.trade_state, line.total_fen) for line in lines] == [
        (order.out_trade_no, "SUCCESS", 1234)
    ]


def test_a_bill_that_matches_has_no_differences(pay_emulator, project):
    _paid_at_wechat(pay_emulator, project, "100.00")
    _paid_at_wechat(pay_emulator, project, "0.01")
    run = reconcile_day(day=timezone.localdate())
    assert (run.bill_count, run.bill_total, run.recorded_count, run.recorded_total) == (
        2,
        Decimal("100.01"),
        2,
        Decimal("100.01"),
    )
    assert _kinds(run) == set()


def test_a_payment_not_recorded_is_missing(pay_emulator, project):
    order = _paid_at_wechat(pay_emulator, project, record=False)
    run = reconcile_day(day=timezone.localdate())
    assert _kinds(run) == {(DiscrepancyKind.MISSING, order.out_trade_no)}


def test_a_gift_not_in_the_bill_is_extra(pay_emulator, project, settings):
    order = OnlineOrderFactory(project=project)
    now = timezone.localtime().isoformat(timespec="seconds")
    resource = transaction_resource(order, settings, success_time=now)
    order_record_payment(transaction_data=Transaction.from_json(resource), via="query")
    run = reconcile_day(day=timezone.localdate())
    assert _kinds(run) == {(DiscrepancyKind.EXTRA, order.out_trade_no)}


def test_different_amounts_are_listed(pay_emulator, project):
    order = _paid_at_wechat(pay_emulator, project, "100.00")
    OnlineOrder.objects.filter(pk=order.pk).update(amount_fen=9999)
    run = reconcile_day(day=timezone.localdate())
    difference = run.discrepancies.get()
    assert (difference.kind, difference.bill_fen, difference.recorded_fen) == (
        DiscrepancyKind.AMOUNT,
        10000,
        9999,
    )


def test_a_rerun_keeps_resolved_differences_and_replaces_the_others(
    pay_emulator, project, donations_officer
):
    first = _paid_at_wechat(pay_emulator, project, record=False)
    second = _paid_at_wechat(pay_emulator, project, record=False)
    run = reconcile_day(day=timezone.localdate())
    discrepancy_resolve(
        discrepancy=run.discrepancies.get(out_trade_no=first.out_trade_no),
        by=donations_officer,
        note="已与财务核对，补登记",
    )
    order_query(order_id=second.pk)  # recorded meanwhile
    run = reconcile_day(day=timezone.localdate())
    assert list(run.discrepancies.values_list("out_trade_no", "resolution")) == [
        (first.out_trade_no, "已与财务核对，补登记")
    ]


def test_resolving_writes_an_audit_entry(pay_emulator, project, donations_officer):
    _paid_at_wechat(pay_emulator, project, record=False)
    difference = reconcile_day(day=timezone.localdate()).discrepancies.get()
    discrepancy_resolve(discrepancy=difference, by=donations_officer, note="微信支付已退款")
    entry = AuditEntry.objects.get(action="payments.discrepancy.resolved")
    assert (entry.user, entry.comment, entry.object_id) == (
        donations_officer,
        "微信支付已退款",
        difference.pk,
    )


def test_only_the_donations_officer_resolves(pay_emulator, project, editor):
    _paid_at_wechat(pay_emulator, project, record=False)
    difference = reconcile_day(day=timezone.localdate()).discrepancies.get()
    with pytest.raises(NotAllowedError):
        discrepancy_resolve(discrepancy=difference, by=editor, note="好")
    assert Discrepancy.objects.get().resolved_at is None


def test_a_resolution_needs_a_note(pay_emulator, project, donations_officer):
    _paid_at_wechat(pay_emulator, project, record=False)
    difference = reconcile_day(day=timezone.localdate()).discrepancies.get()
    with pytest.raises(ValueError):
        discrepancy_resolve(discrepancy=difference, by=donations_officer, note="  ")


def test_the_officer_sees_the_reconciliation_in_the_admin(
    pay_emulator, project, donations_officer, client
):
    order = _paid_at_wechat(pay_emulator, project, record=False)
    run = reconcile_day(day=timezone.localdate())
    client.force_login(donations_officer)
    page = client.get(f"/admin/payments/reconciliation/{run.pk}/change/")
    assert page.status_code == 200
    assert order.out_trade_no in page.content.decode()
    assert client.get("/admin/payments/onlineorder/").status_code == 200


def test_an_order_paid_and_recorded_is_paid(pay_emulator, project):
    assert _paid_at_wechat(pay_emulator, project).state == OrderState.PAID


def test_a_day_without_payments_or_gifts_has_no_differences(pay_emulator):
    run = reconcile_day(day=timezone.localdate())
    assert (run.bill_count, run.recorded_count, run.error) == (0, 0, "")
    assert _kinds(run) == set()


def test_a_bill_not_made_yet_is_noted_and_asked_for_again(pay_emulator):
    pay_emulator.state.set_faults(statement_creating=1)
    assert reconcile_yesterday() is None
    yesterday = timezone.localdate() - timedelta(days=1)
    assert "STATEMENT_CREATING" in Reconciliation.objects.get(bill_date=yesterday).error
    run = reconcile_yesterday()
    assert (run.bill_date, run.error) == (yesterday, "")


def test_a_day_compared_once_is_not_asked_for_again(pay_emulator):
    reconcile_yesterday()
    pay_emulator.state.set_faults(statement_creating=1)
    assert reconcile_yesterday() is None
    assert Reconciliation.objects.get().error == ""


def test_a_queried_payment_that_does_not_match_is_not_asked_about_again(pay_emulator, project):
    """Nothing is recorded, and the order is left to the officer (the reconciliation lists it
    as missing) instead of being queried every half hour for ever."""
    order = _paid_at_wechat(pay_emulator, project, "100.00", record=False)
    OnlineOrder.objects.filter(pk=order.pk).update(amount_fen=9999, next_query_at=timezone.now())
    assert orders_query_late() == 1
    order.refresh_from_db()
    assert (order.state, order.next_query_at, order.gift_id) == (OrderState.PENDING, None, None)
    assert "amount 10000 fen, ordered 9999" in order.last_error
    assert orders_query_late() == 0
    run = reconcile_day(day=timezone.localdate())
    assert _kinds(run) == {(DiscrepancyKind.MISSING, order.out_trade_no)}
