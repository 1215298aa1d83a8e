"""The donations officer's online orders in the admin, in Chinese throughout (screenshots
test-results/online-orders.png, online-order.png). Found on the demo: the list's donor column
was headed SHOWN NAME, and an order's page said Next query at, Query count and Last error."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in_to_admin
from tests.factories import DonationsOfficerFactory
from tests.payments.support import OnlineOrderFactory

from .conftest import RESULTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_officer_reads_the_orders_and_an_order_in_chinese(open_page):
    officer = DonationsOfficerFactory(username="donations")
    order = OnlineOrderFactory(donor_name="王新人", query_count=2, last_error="连接超时")
    page = open_page()
    log_in_to_admin(page, officer)
    page.set_viewport_size({"width": 1366, "height": 768})
    RESULTS.mkdir(exist_ok=True)

    page.goto("/admin/payments/onlineorder/")
    expect(page.locator("#result_list thead th.column-donor")).to_have_text("捐赠人")
    expect(page.locator("#result_list td.field-donor")).to_have_text("王新人")
    page.screenshot(path=str(RESULTS / "online-orders.png"))

    page.goto(f"/admin/payments/onlineorder/{order.pk}/change/")
    labels = page.locator("#content-main .form-row label").all_inner_texts()
    for words in ("下次向微信支付查询时间:", "已向微信支付查询次数:", "最近错误:"):
        assert words in labels
    assert not [label for label in labels if re.search(r"[A-Za-z]{3}", label)]
    page.screenshot(path=str(RESULTS / "online-order.png"), full_page=True)
