"""Django's admin scripts in Chinese where Django's own zh_Hans catalogue stops: the two-list
picker of a branch's liaisons said "Choose 联络员 by selecting them and then select the
"Choose" arrow button." (screenshot test-results/branch-liaisons-picker.png). Our djangojs
catalogue (locale/src/js/) fills them in."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import BranchFactory, LiaisonFactory, OfficeAdminFactory

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_branch_liaisons_picker_explains_itself_in_chinese(open_page):
    branch = BranchFactory(name="上海校友会")
    LiaisonFactory(username="liaison")
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory(username="officeadmin"))
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto(f"/admin/alumni/branch/{branch.pk}/change/")
    picker = page.locator(".selector")
    expect(picker.locator(".selector-available .helptext")).to_have_text(
        "选中左侧的联络员，再点击“选择”箭头按钮。"
    )
    expect(picker.locator(".selector-chosen .helptext")).to_have_text(
        "选中右侧的联络员，再点击“删除”箭头按钮。"
    )
    expect(picker.get_by_role("button", name="选择选中的联络员")).to_be_attached()
    # Every word the picker says, its people (the options) left out.
    words = picker.evaluate(
        "el => { const c = el.cloneNode(true);"
        " c.querySelectorAll('select').forEach(s => s.remove());"
        " return c.textContent + ' ' + [...c.querySelectorAll('[title],[aria-label]')]"
        ".map(e => (e.title || '') + ' ' + (e.getAttribute('aria-label') || '')).join(' '); }"
    )
    assert not re.search(r"[A-Za-z]{4,}", words), words
    picker.scroll_into_view_if_needed()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "branch-liaisons-picker.png"))


def test_the_branch_liaisons_picker_offers_liaisons_by_name(open_page):
    """It offered every login (officeadmin, editor…) by username."""
    branch = BranchFactory(name="上海校友会")
    LiaisonFactory(username="liaison", first_name="嘉禾", last_name="沈")
    LiaisonFactory(username="liaison2", first_name="", last_name="")
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory(username="officeadmin"))

    page.goto(f"/admin/alumni/branch/{branch.pk}/change/")
    options = page.locator("#id_liaisons_from option")
    expect(options).to_have_text(["liaison2", "沈嘉禾（liaison）"])
    page.locator("#id_liaisons_from").select_option(label="沈嘉禾（liaison）")
    page.get_by_role("button", name="选择选中的联络员").click()
    expect(page.locator("#id_liaisons_to option")).to_have_text(["沈嘉禾（liaison）"])
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert [user.username for user in branch.liaisons.all()] == ["liaison"]
