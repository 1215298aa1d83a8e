"""A branch liaison on a phone-sized Chromium: sending news with a photo, reading the review."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from articles.models import Article
from editorial.models import State
from editorial.services import item_reject
from tests.factories import ArticleFactory, ReviewerFactory

from .support import log_in_to_portal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_sends_news_with_a_photo_from_a_phone_and_sees_it_awaiting_review(
    open_page, liaison, liaison_branch, tmp_path
):
    photo = tmp_path / "聚会合影.jpg"
    Image.new("RGB", (1200, 900), "steelblue").save(photo, format="JPEG", quality=85)
    phone = open_page(phone=True)
    log_in_to_portal(phone, liaison)

    phone.get_by_role("link", name="提交新闻").tap()
    phone.get_by_label("标题").fill("上海校友会举办新春联谊会")
    phone.get_by_label("正文").fill(
        "2月20日，上海校友会在徐汇举办新春联谊会。\n\n八十余位校友到场。"
    )
    phone.get_by_label("活动日期").fill("2026-02-20")
    expect(phone.get_by_label("分会")).to_have_value(str(liaison_branch.pk))
    phone.get_by_label("照片").set_input_files(photo)
    phone.get_by_role("button", name="提交审核").tap()

    expect(phone.get_by_role("status")).to_have_text("“上海校友会举办新春联谊会”已提交审核。")
    item = phone.locator(".lp-item").filter(has_text="上海校友会举办新春联谊会")
    expect(item.locator(".lp-badge")).to_have_text("待审核")
    expect(item).to_contain_text("1 张照片")
    article = Article.objects.get()
    assert (article.state, article.created_by, article.photos.count()) == (
        State.SUBMITTED,
        liaison,
        1,
    )


def test_liaison_reads_the_reviewers_comment_on_a_sent_back_submission(
    open_page, liaison, liaison_branch
):
    article = ArticleFactory(
        title="上海校友会秋季徒步活动",
        created_by=liaison,
        branch=liaison_branch,
        state=State.SUBMITTED,
    )
    item_reject(item=article, by=ReviewerFactory(), reason="请补充活动地点和参加人数。")
    phone = open_page(phone=True)
    log_in_to_portal(phone, liaison)

    item = phone.locator(".lp-item").filter(has_text="上海校友会秋季徒步活动")
    expect(item.locator(".lp-badge")).to_have_text("已退回")
    item.get_by_role("link", name="上海校友会秋季徒步活动").tap()

    expect(phone.locator(".lp-comments")).to_contain_text("请补充活动地点和参加人数。")
    expect(phone.get_by_role("link", name="修改后重新提交")).to_be_visible()


def test_liaison_takes_a_pending_submission_back_from_a_phone(open_page, liaison, liaison_branch):
    article = ArticleFactory(
        title="北京校友会年会筹备通知",
        created_by=liaison,
        branch=liaison_branch,
        state=State.SUBMITTED,
    )
    phone = open_page(phone=True)
    log_in_to_portal(phone, liaison)

    phone.get_by_role("link", name="北京校友会年会筹备通知").tap()
    phone.get_by_role("link", name="撤回审核").tap()
    expect(phone.get_by_role("heading", name="确定撤回审核吗？")).to_be_visible()
    phone.screenshot(path="test-results/liaison_recall_confirm.png")
    phone.get_by_role("button", name="确定撤回").tap()

    expect(phone.get_by_role("status")).to_have_text(
        "“北京校友会年会筹备通知”已撤回审核，重新成为草稿。"
    )
    expect(phone.locator(".lp-badge")).to_have_text("草稿")
    expect(phone.get_by_role("link", name="修改后重新提交")).to_be_visible()
    phone.screenshot(path="test-results/liaison_recall_done.png")
    article.refresh_from_db()
    assert article.state == State.DRAFT
