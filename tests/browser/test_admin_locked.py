"""The top of an item's change form at 1366×768: a sent-back item's reason in the first screen,
a submission under review read-only with its author's recall button."""

import pytest
from playwright.sync_api import expect

from editorial import services
from editorial.models import State
from tests.factories import ArticleFactory, EditorFactory, ReviewerFactory

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
REASON = "请补充到场校友人数，并把第二张照片换成横幅合影。"
# A body long enough that the form runs well past one screen, as real articles do.
BODY = "".join(f"<p>第{n}段：校友返校日活动安排与嘉宾介绍。</p>" for n in range(1, 30))


def _open(page, article) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(f"/admin/articles/article/{article.pk}/change/")


def test_an_editor_sees_the_reason_for_sending_back_in_the_first_screen(open_page):
    editor = EditorFactory(username="editor")
    reviewer = ReviewerFactory(username="reviewer")
    article = ArticleFactory(created_by=editor, title="计算机学院校友返校座谈会举行", body=BODY)
    services.item_submit(item=article, by=editor)
    services.item_reject(item=article, by=reviewer, reason=REASON)
    page = open_page()
    log_in_to_admin(page, editor)

    _open(page, article)

    reason = page.locator("#editorial-rejection")
    expect(reason).to_contain_text(REASON)
    expect(page.locator("#editorial-next-step")).to_have_text("已退回：请根据意见修改后重新提交。")
    assert page.evaluate("window.scrollY") == 0
    box = reason.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= LAPTOP["height"]
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "admin_rejected_item.png")


def test_a_submission_is_read_only_until_its_author_takes_it_back(open_page):
    editor = EditorFactory(username="editor")
    article = ArticleFactory(created_by=editor, title="校友返校日通知", body=BODY)
    services.item_submit(item=article, by=editor)
    page = open_page()
    log_in_to_admin(page, editor)

    _open(page, article)

    expect(page.locator("#editorial-lock")).to_contain_text("如需修改，请先撤回提交")
    expect(page.locator("#content-main")).to_contain_text("校友返校日通知")
    expect(page.locator('input[name="title"]')).to_have_count(0)
    expect(page.get_by_role("button", name="保存", exact=True)).to_have_count(0)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "admin_locked_item.png")

    page.get_by_role("button", name="撤回提交").click()

    expect(page.locator("#editorial-workflow .editorial-badge")).to_have_text("草稿")
    expect(page.get_by_label("标题")).to_be_editable()
    article.refresh_from_db()
    assert article.state == State.DRAFT
