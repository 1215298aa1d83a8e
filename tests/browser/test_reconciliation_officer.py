"""The donations officer resolves a reconciliation difference in the admin (desktop Chromium):
the day's comparison lists a payment WeChat Pay has and the site did not record; a note is
required, then the difference is resolved with an audit entry (screenshots
test-results/reconciliation-*.png)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from editorial.models import AuditEntry, State
from payments.models import Discrepancy
from payments.reconciliation import reconcile_day
from tests.browser.support import log_in_to_admin
from tests.factories import DonationProjectFactory
from tests.payments.conftest import pay_emulator, pay_emulator_server  # noqa: F401
from tests.payments.support import placed_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_officer_resolves_a_missing_payment_with_a_note(
    open_page,
    pay_emulator,  # noqa: F811
    donations_officer,
):
    project = DonationProjectFactory(state=State.PUBLISHED, title="新图书馆建设基金")
    order = placed_order(project, "88.88")
    pay_emulator.state.pay(order.out_trade_no)  # paid at WeChat Pay, never recorded here
    run = reconcile_day(day=timezone.localdate())
    difference = run.discrepancies.get()

    page = open_page()
    log_in_to_admin(page, donations_officer)
    page.goto(f"/admin/payments/reconciliation/{run.pk}/change/")
    expect(page.locator(".inline-group")).to_contain_text(order.out_trade_no)
    expect(page.locator(".inline-group")).to_contain_text("¥88.88")
    page.screenshot(path="test-results/reconciliation-day.png", full_page=True)

    page.goto(f"/admin/payments/discrepancy/{difference.pk}/change/")
    expect(page.locator("#content")).to_contain_text("¥88.88")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("请说明差异的处理方式")
    difference.refresh_from_db()
    assert difference.resolved_at is None

    page.locator("#id_resolution").fill("已与财务核对：通知丢失，已手工补登记")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).not_to_contain_text("错误")
    page.goto(f"/admin/payments/discrepancy/{difference.pk}/change/")
    page.screenshot(path="test-results/reconciliation-resolved.png", full_page=True)
    difference = Discrepancy.objects.get(pk=difference.pk)
    assert (difference.resolved_by, difference.resolution) == (
        donations_officer,
        "已与财务核对：通知丢失，已手工补登记",
    )
    assert AuditEntry.objects.filter(action="payments.discrepancy.resolved").count() == 1
