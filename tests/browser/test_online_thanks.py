"""A donor on a phone gives with an e-mail address and the amount left out of the thank-you;
the thank-you e-mail follows the payment; the donations officer then finds the gift in the
dashboard's 在线捐赠 section (screenshots test-results/online-thanks-*.png)."""

from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from editorial.models import State
from tests.browser.support import log_in_to_admin
from tests.factories import DonationProjectFactory, DonationsOfficerFactory, PushFactory
from tests.payments.conftest import pay_emulator, pay_emulator_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_donor_is_thanked_and_the_officer_sees_the_gift_on_the_dashboard(
    open_page,
    live_server,
    pay_emulator,  # noqa: F811
    settings,
    celery_eager,
):
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/payments/notify/"
    project = DonationProjectFactory(
        state=State.PUBLISHED, title="新图书馆建设基金", goal=Decimal("5000000.00")
    )
    push = PushFactory(title="校庆特刊")
    phone = open_page(phone=True)

    phone.goto(f"/payments/give/{project.pk}/?src=push:{push.pk}")
    phone.locator(".give-preset", has_text="¥200").tap()
    phone.get_by_label("展示姓名").fill("林晓舟")
    phone.get_by_label("接收感谢信的邮箱（选填）").fill("lin@example.com")
    phone.get_by_label("感谢信中不显示金额").check()
    phone.screenshot(path="test-results/online-thanks-form.png", full_page=True)
    phone.get_by_role("button", name="前往微信支付").tap()
    phone.get_by_role("link", name="在微信支付模拟器中支付").tap()
    phone.get_by_role("button", name="确认支付").tap()
    expect(phone.get_by_role("heading", name="感谢您的捐赠")).to_be_visible()
    expect(phone.locator("#give-result")).to_contain_text("林晓舟")

    for _ in range(50):  # the notification's thank-you is sent by the live server's thread
        if mail.outbox:
            break
        phone.wait_for_timeout(100)
    [email] = mail.outbox
    assert email.to == ["lin@example.com"]
    assert "新图书馆建设基金" in email.subject
    assert "¥200" not in email.body
    assert "金额" not in email.body

    desk = open_page()
    log_in_to_admin(desk, DonationsOfficerFactory(is_staff=True))
    desk.goto("/admin/dashboard/?days=7")
    block = desk.locator("#table-online-by-channel")
    expect(block).to_contain_text("推送：校庆特刊")
    expect(block).to_contain_text("200.00")
    desk.locator("#table-online-by-project").scroll_into_view_if_needed()
    desk.screenshot(path="test-results/online-thanks-dashboard.png", full_page=False)
