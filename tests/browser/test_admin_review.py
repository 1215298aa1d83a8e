"""An article's way through review in the admin, in a real browser, ending on the public site."""

import pytest
from playwright.sync_api import expect

from articles.models import Article
from editorial.models import State
from tests.factories import EditorFactory, ReviewerFactory

from .support import ckeditor_type, log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "计算机学院校友返校座谈会举行"


def _expect_state(page, title: str, state: str) -> None:
    """The success message after a transition, and the workflow panel's badge, name `state`."""
    expect(page.locator(".messagelist .success")).to_have_text(f"“{title}”现在的状态：{state}。")
    expect(page.locator("#editorial-workflow .editorial-badge")).to_have_text(state)


def _open_from_review_queue(page, title: str) -> None:
    page.goto("/admin/")
    page.get_by_role("link", name="等待您审核").click()
    page.locator("#review-queue").get_by_role("link", name=title).click()
    expect(page.locator("#editorial-workflow .editorial-badge")).to_have_text("待审核")


def test_sent_back_article_is_fixed_approved_and_shown_on_the_public_site(open_page):
    editor = EditorFactory(username="editor")
    reviewer = ReviewerFactory(username="reviewer")
    editing = open_page()
    reviewing = open_page()
    log_in_to_admin(editing, editor)
    log_in_to_admin(reviewing, reviewer)

    # The editor drafts the article and submits it.
    editing.goto("/admin/articles/article/add/")
    editing.get_by_label("标题").fill(TITLE)
    ckeditor_type(editing, "3月15日，计算机学院举行校友返校座谈会。")
    editing.get_by_role("button", name="保存并继续编辑").click()
    expect(editing.locator("#editorial-workflow .editorial-badge")).to_have_text("草稿")
    editing.get_by_role("button", name="提交审核").click()
    _expect_state(editing, TITLE, "待审核")

    # The reviewer finds it in the review queue and sends it back with a comment.
    _open_from_review_queue(reviewing, TITLE)
    reviewing.get_by_label("理由").fill("请补充到场校友人数。")
    reviewing.get_by_role("button", name="退回", exact=True).click()
    _expect_state(reviewing, TITLE, "已退回")

    # The editor sees it sent back, reads the comment, fixes the text and submits again.
    editing.goto("/admin/")
    editing.locator("#needs-attention").get_by_role("link", name=TITLE).click()
    expect(editing.locator("#editorial-comments")).to_contain_text("请补充到场校友人数。")
    ckeditor_type(
        editing,
        "3月15日，计算机学院举行校友返校座谈会。\n共有120余位校友到场。",
        replace=True,
    )
    editing.get_by_role("button", name="保存并继续编辑").click()
    expect(editing.locator(".messagelist .success")).to_contain_text(TITLE)
    editing.get_by_role("button", name="提交审核").click()
    _expect_state(editing, TITLE, "待审核")

    # The reviewer approves it: with no publication time set, it is published at once.
    _open_from_review_queue(reviewing, TITLE)
    reviewing.get_by_role("button", name="通过", exact=True).click()
    _expect_state(reviewing, TITLE, "已发布")

    # Anyone can now read it on the public site.
    reader = open_page()
    reader.goto("/news/")
    reader.get_by_role("link", name=TITLE).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(reader.locator(".rich-text")).to_contain_text("共有120余位校友到场。")

    article = Article.objects.get()
    assert (article.state, article.created_by) == (State.PUBLISHED, editor)
