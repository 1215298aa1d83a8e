"""Two donations officers refund part of an online gift in the admin (desktop Chromium): one asks,
the other approves while WeChat Pay (the emulator) does not answer; the refund stays sent and is
sent again by the beat's resend, once (screenshots test-results/refund-*.png)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from donations.models import Gift
from editorial.models import State
from payments.models import Refund, RefundState
from payments.refunds import refunds_resend
from payments.services import order_query
from tests.browser.support import log_in_to_admin
from tests.factories import DonationProjectFactory, DonationsOfficerFactory
from tests.payments.conftest import pay_emulator, pay_emulator_server  # noqa: F401
from tests.payments.support import placed_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refund_wechat_pay_did_not_answer_is_sent_again_once(
    open_page,
    pay_emulator,  # noqa: F811
    donations_officer,
):
    project = DonationProjectFactory(state=State.PUBLISHED, title="新图书馆建设基金")
    order = placed_order(project, "300.00")
    pay_emulator.state.pay(order.out_trade_no)
    order_query(order_id=order.pk)
    second = DonationsOfficerFactory(username="officer2", first_name="二", last_name="审核")

    asking = open_page()
    log_in_to_admin(asking, donations_officer)
    asking.goto("/admin/payments/refund/add/")
    asking.locator("#id_order").fill(str(order.pk))  # a raw id field
    asking.locator("#id_amount").fill("100")
    asking.locator("#id_reason").fill("捐赠人重复支付")
    asking.get_by_role("button", name="保存", exact=True).click()
    expect(asking.locator("#result_list")).to_contain_text("待批准")

    pay_emulator.state.set_faults(http_status=500, times=1, paths=["/v3/refund/"])
    approving = open_page()
    log_in_to_admin(approving, second)
    approving.goto("/admin/payments/refund/")
    approving.locator("input.action-select").first.check()
    approving.locator("select[name=action]").select_option(value="approve")
    approving.get_by_role("button", name="执行").click()
    expect(approving.locator(".messagelist")).to_contain_text("微信支付未应答")
    approving.screenshot(path="test-results/refund-unanswered.png", full_page=True)
    assert Gift.objects.get().amount == Decimal("300.00")

    refund = Refund.objects.get()
    Refund.objects.filter(pk=refund.pk).update(decided_at=timezone.now() - timedelta(minutes=5))
    assert refunds_resend() == 1
    assert refunds_resend() == 0
    approving.goto(f"/admin/payments/refund/{refund.pk}/change/")
    approving.screenshot(path="test-results/refund-sent-again.png", full_page=True)
    refund.refresh_from_db()
    assert refund.state in (RefundState.SENT, RefundState.REFUNDED) and refund.refund_id
    assert Gift.objects.get().amount == Decimal("200.00")
    assert pay_emulator.state.snapshot()["orders"][order.out_trade_no]["refunded"] == 10000
