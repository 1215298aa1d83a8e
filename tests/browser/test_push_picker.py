"""Composing a push in Chromium with the item picker (issue 12 item 5): type part of a Chinese
title, pick items of two modules, see an unapproved one greyed out with the reason, reorder
with the arrows, save; the push has the items in that order (screenshot push-picker.png)."""

import pytest
from factory.django import ImageField
from playwright.sync_api import expect

from editorial.models import State
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    EditorFactory,
    PushableArticleFactory,
    grant_push_permissions,
)
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401 (fixtures)
from wechat.models import Push

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_finds_items_of_two_modules_orders_them_and_saves(
    open_page,
    emulator,  # noqa: F811
):
    editor = grant_push_permissions(EditorFactory(username="editor"))
    PushableArticleFactory(title="校友返校日回顾")
    ActivityFactory(
        title="返校日篮球友谊赛",
        state=State.PUBLISHED,
        cover=ImageField(width=900, height=500, format="JPEG", color="teal"),  # WeChat needs one
    )
    ArticleFactory(title="返校日筹备草稿", state=State.SUBMITTED)
    PushableArticleFactory(title="毕业典礼致辞")

    page = open_page()
    log_in_to_admin(page, editor)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/admin/wechat/push/add/")
    search = page.get_by_role("combobox", name="添加内容")
    results = page.locator("#push-picker-results")
    chosen = page.locator("#push-picker-chosen > li")

    search.fill("返校")
    expect(results.get_by_role("option")).to_have_count(3)
    expect(results).not_to_contain_text("毕业典礼")
    blocked = results.get_by_role("option", name="返校日筹备草稿")
    expect(blocked).to_have_attribute("aria-disabled", "true")
    expect(blocked).to_contain_text("只有已通过审核的内容才能推送。")
    expect(results.get_by_role("option", name="返校日篮球友谊赛")).to_contain_text("活动")
    page.screenshot(path=str(RESULTS / "push-picker.png"), full_page=True)
    blocked.click(force=True)  # a person clicking it anyway: nothing is added
    expect(chosen).to_have_count(0)

    results.get_by_role("option", name="返校日篮球友谊赛").click()
    search.fill("回顾")  # picked with the keyboard this time
    expect(results.get_by_role("option")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")
    expect(chosen).to_have_count(2)
    expect(chosen.nth(0)).to_contain_text("返校日篮球友谊赛")

    page.get_by_role("button", name="上移: 校友返校日回顾").click()
    expect(chosen.nth(0)).to_contain_text("校友返校日回顾")
    expect(chosen.nth(1)).to_contain_text("返校日篮球友谊赛")
    page.screenshot(path=str(RESULTS / "push-picker-chosen.png"), full_page=True)

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    titles = list(Push.objects.get().items.values_list("title", flat=True))
    assert titles == ["校友返校日回顾", "返校日篮球友谊赛"]


def test_a_title_with_markup_is_shown_as_text(open_page, emulator):  # noqa: F811
    editor = grant_push_permissions(EditorFactory(username="editor"))
    # 29 characters: titles hold 32 (PostgreSQL enforces it).
    PushableArticleFactory(title='<img src=x onerror="hit=1">返校')
    page = open_page()
    log_in_to_admin(page, editor)
    page.goto("/admin/wechat/push/add/")
    page.get_by_role("combobox", name="添加内容").fill("返校")
    option = page.locator("#push-picker-results").get_by_role("option")
    expect(option).to_contain_text('<img src=x onerror="hit=1">返校')
    option.click()
    expect(page.locator("#push-picker-chosen")).to_contain_text("<img src=x")
    assert page.locator("#push-picker img").count() == 0
    assert page.evaluate("window.hit") is None  # onerror sets the global `hit`


def test_editor_drags_an_item_to_the_top_and_saves_that_order(
    open_page,
    emulator,  # noqa: F811
):
    editor = grant_push_permissions(EditorFactory(username="editor"))
    for title in ("校庆一号通知", "校庆二号通知", "校庆三号通知"):
        PushableArticleFactory(title=title)

    page = open_page()
    log_in_to_admin(page, editor)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/admin/wechat/push/add/")
    search = page.get_by_role("combobox", name="添加内容")
    results = page.locator("#push-picker-results")
    chosen = page.locator("#push-picker-chosen > li")
    for title in ("校庆一号通知", "校庆二号通知", "校庆三号通知"):
        search.fill(title)
        results.get_by_role("option", name=title).click()
    expect(chosen).to_have_count(3)

    # Dropped on the upper half of the first row: it goes before it.
    chosen.nth(2).drag_to(chosen.nth(0), target_position={"x": 40, "y": 4})
    expect(chosen.nth(0)).to_contain_text("校庆三号通知")
    expect(chosen.nth(1)).to_contain_text("校庆一号通知")
    expect(page.locator("#push-picker-live")).to_have_text("已移到第 1 位：校庆三号通知")
    # Dropped on the lower half of the last row: it goes last.
    box = chosen.nth(2).bounding_box()
    chosen.nth(1).drag_to(chosen.nth(2), target_position={"x": 40, "y": box["height"] - 4})
    expect(chosen.nth(2)).to_contain_text("校庆一号通知")
    # The arrow buttons are still there for keyboard users.
    expect(page.get_by_role("button", name="上移: 校庆二号通知")).to_be_enabled()
    page.screenshot(path=str(RESULTS / "push-picker-dragged.png"), full_page=True)

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    titles = list(Push.objects.get().items.values_list("title", flat=True))
    assert titles == ["校庆三号通知", "校庆二号通知", "校庆一号通知"]
