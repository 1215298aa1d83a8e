"""A paid order becomes one gift whatever WeChat Pay's notifications do: through the real
emulator (signed, encrypted notifications to a live server) with faults on, and the beat task's
query as the fallback for a notification that is lost, late or forged."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError
from django.utils import timezone

from donations.models import Gift
from donations.selectors import donation_progress
from editorial.models import State
from payments.models import OnlineOrder, OrderState
from payments.services import orders_query_late
from payments.tasks import orders_query_late_task
from tests.factories import DonationProjectFactory
from tests.payments.support import placed_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_pay(pay_emulator, live_server, settings):
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/payments/notify/"
    return pay_emulator


@pytest.fixture
def project():
    return DonationProjectFactory(state=State.PUBLISHED, title="图书馆修缮")


def _order(project, amount="88.88") -> OnlineOrder:
    return placed_order(project, amount, donor_name="顾明澜")


def _wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass  # SQLite's shared in-memory test database: the server is writing
        time.sleep(0.05)
    return condition()


def _deliveries(emulator) -> list:
    return [
        attempt["status"]
        for entry in emulator.state.snapshot()["notifications"]
        for attempt in entry["attempts"]
    ]


def _make_due(order):
    OnlineOrder.objects.filter(pk=order.pk).update(next_query_at=timezone.now())


def test_a_paid_order_is_recorded_by_its_notification(live_pay, project):
    order = _order(project)
    live_pay.state.pay(order.code_url.rsplit("=", 1)[1])
    # The emulator's side: its notification answered 204 (the live server shares the test's
    # SQLite connection, so the database is read only once the request is over).
    assert _wait_for(lambda: _deliveries(live_pay) == [204])
    order.refresh_from_db()
    assert (order.state, order.paid_via) == (OrderState.PAID, "notification")
    assert donation_progress(project=project).raised == Decimal("88.88")


def test_duplicated_notifications_record_one_gift(live_pay, project):
    live_pay.state.set_faults(duplicate_notifications=3)
    order = _order(project)
    live_pay.state.pay(order.out_trade_no)
    assert _wait_for(lambda: _deliveries(live_pay).count(204) == 4, seconds=10)
    assert Gift.objects.count() == 1


def test_a_lost_notification_is_found_by_the_query(live_pay, project):
    live_pay.state.set_faults(lose_notifications=1)
    order = _order(project)
    live_pay.state.pay(order.out_trade_no)
    time.sleep(0.3)
    assert Gift.objects.count() == 0
    _make_due(order)
    assert orders_query_late_task() == 1
    order.refresh_from_db()
    assert (order.state, order.paid_via) == (OrderState.PAID, "query")
    assert Gift.objects.get().amount == Decimal("88.88")


def test_a_forged_notification_is_refused_and_the_query_records_the_payment(live_pay, project):
    live_pay.state.set_faults(bad_signature=True)
    order = _order(project)
    live_pay.state.pay(order.out_trade_no)
    assert _wait_for(lambda: 401 in _deliveries(live_pay))
    assert Gift.objects.count() == 0
    _make_due(order)
    orders_query_late()
    assert Gift.objects.count() == 1


def test_a_late_notification_after_the_query_records_nothing_more(live_pay, project):
    live_pay.state.set_faults(notify_delay=0.6)
    order = _order(project)
    live_pay.state.pay(order.out_trade_no)
    _make_due(order)
    orders_query_late()
    assert Gift.objects.count() == 1
    assert _wait_for(lambda: _deliveries(live_pay) == [204])
    assert Gift.objects.count() == 1


def test_an_order_not_yet_late_is_not_queried(live_pay, project):
    _order(project)
    assert orders_query_late() == 0


def test_an_unpaid_order_stays_open_until_it_expires(live_pay, project, settings):
    order = _order(project)
    _make_due(order)
    orders_query_late()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING
    assert order.next_query_at > timezone.now()


def test_an_expired_unpaid_order_is_closed_here_and_at_wechat_pay(live_pay, project, settings):
    order = _order(project)
    OnlineOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - settings.WECHATPAY_ORDER_TTL - timedelta(minutes=1)
    )
    _make_due(order)
    orders_query_late()
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED
    assert live_pay.state.snapshot()["orders"][order.out_trade_no]["trade_state"] == "CLOSED"


def test_a_failing_query_leaves_the_order_for_later(live_pay, project):
    order = _order(project)
    live_pay.state.pay(order.out_trade_no)
    live_pay.state.reset()  # the notification is never sent; the emulator forgot the order
    _make_due(order)
    live_pay.state.set_faults(http_status=503, times=5)
    orders_query_late()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING and order.query_count == 1
