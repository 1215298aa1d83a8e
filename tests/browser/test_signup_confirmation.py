"""After signing up on a phone: the page says where the confirmation went, the e-mail holds the
link, and the sign-up can be found again by phone number with a code (screenshots in
test-results/signup-*.png)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from editorial.models import State
from tests.activities import support
from tests.browser.conftest import RESULTS
from tests.factories import ActivityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(open_page):
    return open_page(phone=True)


@pytest.fixture(autouse=True)
def _recording_sender(settings):
    settings.ACTIVITIES_CODE_SENDER = "tests.activities.support.RecordingSender"
    support.SENT.clear()


def _fits_the_screen(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"{name}.png", full_page=True)


def test_sign_up_with_an_email_then_find_it_again_by_phone(
    phone, live_server, settings, celery_eager
):
    settings.SITE_URL = live_server.url
    activity = ActivityFactory(
        state=State.PUBLISHED, title="北京校友年会", place="北京饭店宴会厅", capacity=20
    )
    mail.outbox.clear()

    phone.goto(activity.get_absolute_url())
    phone.fill("#id_name", "张三")
    phone.fill("#id_class_year", "2010")
    phone.fill("#id_phone", "138 0013 8000")
    phone.fill("#id_email", "zhang@example.com")
    _shot(phone, "signup-form")
    phone.get_by_role("button", name="我要报名").click()

    expect(phone.locator("#confirmation-sent")).to_have_text("确认信息已发送至 z***@example.com。")
    expect(phone.get_by_role("link", name="取消报名")).to_be_visible()
    assert _fits_the_screen(phone)
    _shot(phone, "signup-confirmation-sent")

    [message] = mail.outbox
    assert message.to == ["zhang@example.com"]
    link = re.search(r"http://\S+/activities/registration/\S+/", message.body).group(0)
    assert link == phone.url.split("#")[0]  # the form posts to #signup; the fragment stays

    phone.get_by_role("link", name="找回我的报名").click()
    phone.fill("#id_phone", "13800138000")
    phone.get_by_role("button", name="发送验证码").click()
    expect(phone.get_by_text("6 位验证码已发送至 138****8000")).to_be_visible()
    phone.fill("#id_code", support.last_code("13800138000"))
    _shot(phone, "signup-lookup-code")
    phone.get_by_role("button", name="查看我的报名").click()

    expect(phone.get_by_role("heading", name="我的报名")).to_be_visible()
    item = phone.locator("#my-registrations .activity-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("北京校友年会")
    expect(item).to_contain_text("已报名")
    assert _fits_the_screen(phone)
    _shot(phone, "signup-lookup-list")

    item.click()
    expect(phone.get_by_role("heading", name="报名成功")).to_be_visible()
    expect(phone.locator(".facts")).to_contain_text("北京校友年会")
    expect(phone.get_by_role("link", name="取消报名")).to_be_visible()
