"""Giving online on a phone-sized Chromium, against the WeChat Pay emulator: the project page,
the give form, the QR code page, the emulator's payment page ("pay"), and the thank-you page
that waits for the notification (screenshots test-results/give-*.png)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from donations.models import Channel, Gift
from editorial.models import State
from payments.models import OnlineOrder, OrderState
from tests.factories import DonationProjectFactory, GiftFactory
from tests.payments.conftest import pay_emulator, pay_emulator_server  # noqa: F401
from tests.wechat import conftest as wechat_fixtures
from wechat_emulator import openid_for

from .conftest import PHONE, TIMEOUT_MS

# The WeChat emulator of the wechat tests, for web authorization (snsapi_base).
emulator_server = wechat_fixtures.emulator_server
emulator = wechat_fixtures.emulator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_donor_gives_on_a_phone_and_sees_the_thank_you_page(
    open_page,
    live_server,
    pay_emulator,  # noqa: F811
    settings,
):
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/payments/notify/"
    project = DonationProjectFactory(
        state=State.PUBLISHED, title="新图书馆建设基金", goal=Decimal("5000000.00")
    )
    GiftFactory(project=project, amount=Decimal("1000.00"))
    phone = open_page(phone=True)

    phone.goto(project.get_absolute_url())
    phone.get_by_role("link", name="微信支付在线捐赠").tap()
    expect(phone.get_by_role("heading", name="在线捐赠")).to_be_visible()
    phone.locator(".give-preset", has_text="¥200").tap()
    phone.get_by_label("展示姓名").fill("林晓舟")
    phone.get_by_label("留言（选填）").fill("祝母校越来越好")
    phone.screenshot(path="test-results/give-form.png", full_page=True)
    phone.get_by_role("button", name="前往微信支付").tap()

    expect(phone.get_by_role("heading", name="请用微信扫码支付")).to_be_visible()
    expect(phone.locator(".give-amount")).to_have_text("¥200")
    expect(phone.locator(".give-qr svg")).to_be_visible()
    phone.screenshot(path="test-results/give-qr.png", full_page=True)
    phone.get_by_role("link", name="在微信支付模拟器中支付").tap()

    expect(phone.get_by_role("heading", name="微信支付")).to_be_visible()
    phone.screenshot(path="test-results/give-emulator-pay.png")
    phone.get_by_role("button", name="确认支付").tap()

    expect(phone.get_by_role("heading", name="感谢您的捐赠")).to_be_visible()
    expect(phone.locator("#give-result")).to_contain_text("林晓舟")
    expect(phone.locator(".facts")).to_contain_text("¥200")
    phone.screenshot(path="test-results/give-thanks.png", full_page=True)

    order = OnlineOrder.objects.get()
    assert order.state == OrderState.PAID
    gift = Gift.objects.get(channel=Channel.WECHAT_PAY)
    assert (gift.amount, gift.donor_name) == (Decimal("200.00"), "林晓舟")
    assert order.message == "祝母校越来越好"  # for the officer to read before it is public
    phone.get_by_role("link", name="返回项目").tap()
    expect(phone.locator(".progress-numbers")).to_contain_text("¥1,200")


WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"
)


def test_in_wechat_the_donor_is_identified_and_pays_with_jsapi(
    chromium,
    live_server,
    emulator,  # noqa: F811
    pay_emulator,  # noqa: F811
    settings,
):
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}/payments/notify/"
    emulator.state.configure(oauth_openid=openid_for(3))
    project = DonationProjectFactory(state=State.PUBLISHED, title="启航奖学金")
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", user_agent=WECHAT_UA, **PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    phone = context.new_page()
    try:
        phone.goto(f"/payments/give/{project.pk}/")  # through WeChat's authorization and back
        expect(phone.get_by_role("heading", name="在线捐赠")).to_be_visible()
        phone.locator(".give-preset", has_text="¥100").tap()
        phone.get_by_label("匿名捐赠").check()
        phone.get_by_role("button", name="微信支付").tap()

        expect(phone.get_by_role("button", name="立即支付")).to_be_visible()
        expect(phone.locator(".give-qr")).to_have_count(0)
        phone.screenshot(path="test-results/give-jsapi.png", full_page=True)
        order = OnlineOrder.objects.get()
        assert (order.trade_type, order.openid) == ("JSAPI", openid_for(3))
        phone.get_by_role("link", name="在微信支付模拟器中支付").tap()
        phone.get_by_role("button", name="确认支付").tap()
        expect(phone.get_by_role("heading", name="感谢您的捐赠")).to_be_visible()
        expect(phone.locator("#give-result")).to_contain_text("匿名捐赠人")
    finally:
        context.close()
    gift = Gift.objects.get()
    assert gift.anonymous is True and gift.amount == Decimal("100.00")
