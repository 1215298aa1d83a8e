"""The payment emulator keeps its orders in a state file across restarts (as `dev.py run` starts
it: `manage.py wechatpay_emulator --state-file DATA_DIR/wechatpay-emulator.json`), so an order
made before a restart can still be paid, queried and refunded after it."""

import json
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from donations.models import Gift
from editorial.models import State
from payments.gateway import WeChatPayGateway
from payments.models import OrderState
from payments_emulator import PayEmulatorServer
from tests.factories import DonationProjectFactory
from tests.payments.conftest import TEST_CONFIG

# Nobody listens there: notifications fail fast and stay unacknowledged.
NOTIFY_URL = "http://127.0.0.1:9/payments/notify/"


@pytest.fixture
def restartable(pay_emulator, tmp_path, settings):
    """Starts emulators on one state file (and the test session's keys); settings follow the
    one started last."""
    state_file = tmp_path / "wechatpay-emulator.json"
    started = []

    def start(config=TEST_CONFIG) -> PayEmulatorServer:
        server = PayEmulatorServer(
            key_dir=pay_emulator.state.key_dir, config=config, state_file=state_file
        ).start()
        started.append(server)
        settings.WECHATPAY_BASE_URL = server.url
        return server

    start.state_file = state_file
    yield start
    for server in started:
        server.state.settle()
        server.stop()


def _wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_paid_and_refunded_order_is_still_there_after_a_restart(restartable):
    first = restartable()
    code_url = WeChatPayGateway().native_order(
        out_trade_no="GKEEP00001", description="捐赠", amount_fen=8888, notify_url=NOTIFY_URL
    )
    paid = first.state.pay(code_url.rsplit("=", 1)[1])
    refund = WeChatPayGateway().refund(
        out_trade_no="GKEEP00001",
        out_refund_no="RKEEP00001",
        refund_fen=1000,
        total_fen=8888,
        reason="",
        notify_url="",
    )
    first.stop()

    restartable()
    gateway = WeChatPayGateway()
    transaction = gateway.query_order("GKEEP00001")
    assert (transaction.trade_state, transaction.transaction_id, transaction.total_fen) == (
        "REFUND",
        paid["transaction_id"],
        8888,
    )
    again = gateway.refund(
        out_trade_no="GKEEP00001",
        out_refund_no="RKEEP00001",
        refund_fen=1000,
        total_fen=8888,
        reason="",
        notify_url="",
    )
    assert again["refund_id"] == refund["refund_id"]


def test_an_order_made_before_a_restart_can_be_paid_after_it(restartable):
    first = restartable()
    code_url = WeChatPayGateway().native_order(
        out_trade_no="GKEEP00002", description="捐赠", amount_fen=100, notify_url=NOTIFY_URL
    )
    first.stop()

    second = restartable()
    second.state.pay(code_url.rsplit("=", 1)[1])
    assert WeChatPayGateway().query_order("GKEEP00002").trade_state == "SUCCESS"


def test_the_trade_bill_after_a_restart_lists_the_payments_made_before(restartable):
    first = restartable()
    WeChatPayGateway().native_order(
        out_trade_no="GKEEP00003", description="捐赠", amount_fen=12345, notify_url=NOTIFY_URL
    )
    paid = first.state.pay("GKEEP00003")
    first.stop()

    restartable()
    day = date.fromisoformat(paid["success_time"][:10])
    bill = WeChatPayGateway().trade_bill(day)
    assert f"`{paid['transaction_id']},`GKEEP00003," in bill


@pytest.mark.django_db(transaction=True)
def test_a_notification_refused_before_a_restart_is_sent_again_after_it(
    restartable, live_server, settings
):
    """WeChat Pay goes on retrying a notification the site has not acknowledged."""
    from payments.services import Donation, order_create

    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/payments/notify/"
    project = DonationProjectFactory(state=State.PUBLISHED, title="图书馆修缮")
    first = restartable(replace(TEST_CONFIG, notify_retries=()))  # one try, then it waits
    first.state.set_faults(bad_signature=True)
    order = order_create(
        donation=Donation(
            project=project,
            amount=Decimal("1.00"),
            donor_name="顾明澜",
            anonymous=False,
            message="",
        )
    )
    first.state.pay(order.out_trade_no)

    def statuses(server):
        return [
            a["status"] for n in server.state.snapshot()["notifications"] for a in n["attempts"]
        ]

    assert _wait_for(lambda: statuses(first) == [401])
    first.stop()
    assert Gift.objects.count() == 0

    second = restartable()
    assert _wait_for(lambda: statuses(second) == [401, 204])
    order.refresh_from_db()
    assert (order.state, order.paid_via) == (OrderState.PAID, "notification")
    assert Gift.objects.get().amount == Decimal("1.00")


def test_reset_empties_the_state_file(restartable):
    first = restartable()
    WeChatPayGateway().native_order(
        out_trade_no="GKEEP00004", description="捐赠", amount_fen=100, notify_url=NOTIFY_URL
    )
    first.state.reset()
    first.stop()

    second = restartable()
    assert second.state.snapshot()["orders"] == {}


def test_an_unreadable_state_file_starts_an_empty_emulator(restartable):
    restartable.state_file.write_text("{not json", encoding="utf-8")
    server = restartable()
    assert server.state.snapshot()["orders"] == {}


def test_the_state_file_is_json_naming_the_orders(restartable):
    restartable()
    WeChatPayGateway().native_order(
        out_trade_no="GKEEP00005", description="捐赠", amount_fen=100, notify_url=NOTIFY_URL
    )
    data = json.loads(restartable.state_file.read_text(encoding="utf-8"))
    assert data["orders"]["GKEEP00005"]["trade_state"] == "NOTPAY"
