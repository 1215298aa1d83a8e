"""A donation project on a phone-sized Chromium: from the progress to how to give."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from editorial.models import State
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = "".join(
    f"<p>第{n}段：新图书馆将为校友和在校生提供更多阅览座位与研讨空间。</p>" for n in range(1, 16)
)


def test_the_give_button_takes_a_phone_to_the_bank_account_and_remark(open_page, settings):
    settings.WECHATPAY_MCHID = ""  # no online giving: the button leads to the bank transfer
    settings.DONATIONS_BANK_ACCOUNT_NAME = "北方大学教育基金会"
    settings.DONATIONS_BANK_NAME = "中国银行北京中关村支行"
    settings.DONATIONS_BANK_ACCOUNT = "3412 5678 9012 3456"
    settings.DONATIONS_CONTACT = "校友办王老师 · 010-6275 1234"
    project = DonationProjectFactory(
        state=State.PUBLISHED, title="新图书馆建设基金", goal=Decimal("5000000.00"), body=BODY
    )
    GiftFactory(project=project, amount=Decimal("4064300.00"))
    phone = open_page(phone=True)

    phone.goto(project.get_absolute_url())
    expect(phone.locator(".progress-numbers")).to_contain_text("¥4,064,300")
    instructions = phone.locator("#how-to-give")
    expect(instructions).not_to_be_in_viewport()
    phone.screenshot(path="test-results/donation_project_top.png")
    phone.get_by_role("link", name="我要捐赠").tap()

    expect(instructions.get_by_role("heading", name="捐赠方式")).to_be_in_viewport(ratio=1)
    expect(instructions.locator(".giving-account")).to_be_in_viewport(ratio=1)
    expect(instructions).to_contain_text("3412 5678 9012 3456")
    expect(instructions.locator(".giving-remark")).to_contain_text("新图书馆建设基金")
    phone.screenshot(path="test-results/donation_how_to_give.png")
