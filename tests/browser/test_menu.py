"""The WeChat menu in Chromium: an editor builds two buttons with items, sees them on the phone
preview (the items open above the bar), a second person approves, and the emulator holds the
menu (screenshots menu-editor.png, menu-preview.png)."""

import pytest
from playwright.sync_api import expect

from tests.factories import EditorFactory, ReviewerFactory
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401 (fixtures)
from wechat.models import MenuVersionState
from wechat.services.menu import menu_default

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_builds_a_menu_and_another_person_publishes_it(
    open_page,
    emulator,  # noqa: F811 (the fixture imported above)
    celery_eager,
):
    editor = EditorFactory(username="editor")
    reviewer = ReviewerFactory(username="reviewer")
    menu = menu_default()

    page = open_page()
    log_in_to_admin(page, editor)
    page.goto("/admin/wechat/menu/")
    page.get_by_role("link", name="默认菜单").click()

    page.locator("[name=b0_name]").fill("校友新闻")
    page.locator("[name=b0_type]").select_option(label="打开网页")
    page.locator("[name=b0_page]").select_option(label="校园动态")
    expect(page.locator("[name=b0_url]")).to_have_value("http://127.0.0.1:8000/news/")

    page.locator("[name=b1_name]").fill("校友服务")
    page.locator("[name=b1s0_name]").fill("联系我们")
    # The phone follows the typing before anything is saved.
    live = page.get_by_test_id("menu-preview")
    expect(live.locator(".menu-phone__bar")).to_contain_text("校友新闻")
    expect(live.locator("summary")).to_have_text("≡ 校友服务")
    page.locator("[name=b1s0_type]").select_option(label="发送 key（自动回复）")
    page.locator("[name=b1s0_key]").fill("CONTACT")
    page.locator("[name=b1s1_name]").fill("我的校友卡")
    page.locator("[name=b1s1_page]").select_option(label="我的校友卡")
    page.get_by_role("button", name="保存并提交审核").click()

    expect(page.locator(".messagelist")).to_contain_text("已保存为版本 1")
    phone = page.get_by_test_id("menu-preview")
    expect(phone.locator(".menu-phone__bar")).to_contain_text("校友新闻")
    items = phone.locator(".menu-phone__items", has_text="联系我们")
    expect(items).to_be_hidden()
    phone.get_by_text("≡ 校友服务").click()
    expect(items).to_be_visible()
    expect(items).to_contain_text("我的校友卡")
    expect(page.locator("#menu-approve")).to_have_count(0)  # who edited does not approve
    page.screenshot(path=str(RESULTS / "menu-editor.png"), full_page=True)
    phone.screenshot(path=str(RESULTS / "menu-preview.png"))

    second = open_page()
    log_in_to_admin(second, reviewer)
    second.goto(f"/admin/wechat/menu/{menu.pk}/change/")
    second.locator("#menu-approve").click()
    expect(second.locator(".messagelist")).to_contain_text("版本 1 已审核通过")

    assert menu.versions.get().state == MenuVersionState.PUBLISHED
    held = emulator.state.snapshot()["menu"]["button"]
    assert [button["name"] for button in held] == ["校友新闻", "校友服务"]
    assert [sub["name"] for sub in held[1]["sub_button"]] == ["联系我们", "我的校友卡"]


def test_a_reviewer_sees_drift_and_publishes_ours_again(
    open_page,
    emulator,  # noqa: F811 (the fixture imported above)
    celery_eager,
):
    from wechat.services.menu import menu_approve, menu_publish, menu_save

    editor = EditorFactory(username="editor")
    reviewer = ReviewerFactory(username="reviewer")
    menu = menu_default()
    buttons = [
        {"type": "view", "name": "校友新闻", "url": "http://127.0.0.1:8000/news/"},
        {"name": "校友服务", "sub_button": [{"type": "click", "name": "联系我们", "key": "C"}]},
    ]
    version = menu_approve(version=menu_save(menu=menu, buttons=buttons, by=editor), by=reviewer)
    menu_publish(version_id=version.pk)
    emulator.state.menu_edit_in_backend(
        [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    )

    page = open_page()
    log_in_to_admin(page, reviewer)
    page.goto(f"/admin/wechat/menu/{menu.pk}/change/")
    page.get_by_role("link", name="与微信上的菜单对比").click()
    expect(page.locator("#menu-drift")).to_contain_text("不一致")
    expect(page.locator("#menu-diff")).to_contain_text("官网 — 链接 https://www.example.edu/")
    expect(page.get_by_test_id("menu-theirs")).to_contain_text("官网")
    page.screenshot(path=str(RESULTS / "menu-drift.png"), full_page=True)

    page.locator("#menu-republish").click()
    expect(page.locator(".messagelist")).to_contain_text("正在重新发布到微信")
    page.get_by_role("link", name="与微信上的菜单对比").click()
    expect(page.locator("#menu-in-sync")).to_be_visible()
