"""A branch liaison who logs in to the admin with the right password is told to use the liaison
portal, and gets there (screenshot test-results/admin-login-liaison.png). Django's own answer,
请输入一个正确的工作人员账户用户名和密码, read as a wrong password to a newcomer trying each
demo login."""

import pytest
from playwright.sync_api import expect

from tests.factories import LiaisonFactory, UserFactory

from .conftest import RESULTS
from .support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_to_admin(page, username: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_liaison_in_the_admin_is_sent_to_the_liaison_portal(open_page, live_server):
    LiaisonFactory(username="liaison2")
    page = open_page()

    _log_in_to_admin(page, "liaison2")

    note = page.locator(".errornote")
    expect(note).to_have_text(
        f"此账号用于联络员投稿平台，不能登录管理后台：请在 {live_server.url}/liaison/login/ 登录。"
    )
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "admin-login-liaison.png"))
    page.goto("/liaison/login/")
    page.get_by_label("用户名").fill("liaison2")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的投稿")).to_be_visible()


def test_another_account_without_admin_access_gets_djangos_answer(open_page):
    UserFactory(username="reader")
    page = open_page()

    _log_in_to_admin(page, "reader")

    expect(page.locator(".errornote")).to_contain_text("请输入一个正确的工作人员账户")
