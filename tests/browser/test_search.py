"""Searching the public site on a phone: the header's box, ranked and highlighted results, pages.

Screenshot: test-results/search-results.png (the first page of results on a phone).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from editorial.models import State
from tests.browser.conftest import RESULTS
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _published(factory, days_ago, **kwargs):
    return factory(
        state=State.PUBLISHED,
        published_at=timezone.now() - timedelta(days=days_ago, hours=1),
        **kwargs,
    )


@pytest.fixture
def content():
    _published(
        ArticleFactory,
        40,
        title="上海校友会举行年度聚会",
        author="宣传部",
        body="<p>十一月二十日，上海校友会在浦东举行年度聚会，两百余位校友参加。</p>",
    )
    _published(
        ActivityFactory,
        2,
        title="上海校友会秋季徒步",
        body="<p>沿滨江步道徒步十公里，欢迎携家属参加。</p>",
    )
    _published(
        AlumniProfileFactory,
        10,
        title="在浦东造大飞机的人",
        subject_name="陈立新",
        headline="上海校友会理事",
        body="<p>一九九八届校友陈立新，二十年扎根大飞机研制一线。</p>",
    )
    _published(
        DonationProjectFactory,
        5,
        title="校友会奖学金",
        body="<p>由上海校友会发起，资助家庭经济困难的在校学生。</p>",
    )
    for number in range(1, 11):
        _published(
            ArticleFactory,
            60 + number,
            title=f"分会动态第{number}期",
            author="宣传部",
            body=f"<p>本期介绍上海校友会第{number}次理事会的情况。</p>",
        )
    ArticleFactory(state=State.DRAFT, title="上海校友会内部草稿", author="宣传部")


def test_an_alumnus_searches_in_chinese_from_the_header_on_a_phone(open_page, content):
    phone = open_page(phone=True)
    phone.goto("/")
    box = phone.get_by_role("searchbox", name="站内搜索")
    box.fill("上海校友会")
    box.press("Enter")

    expect(phone).to_have_url("/search/?q=%E4%B8%8A%E6%B5%B7%E6%A0%A1%E5%8F%8B%E4%BC%9A")
    expect(phone.get_by_role("status")).to_have_text("“上海校友会”共找到 14 条结果")
    hits = phone.locator(".search-hit")
    expect(hits).to_have_count(10)
    # Title matches first, the newest of them first; then the text matches.
    expect(hits.nth(0).locator("h3")).to_have_text("上海校友会秋季徒步")
    expect(hits.nth(1).locator("h3")).to_have_text("上海校友会举行年度聚会")
    expect(hits.nth(0).locator(".tag")).to_have_text("活动")
    expect(hits.nth(0).locator("h3 mark")).to_have_text("上海校友会")
    expect(hits.nth(2).locator(".snippet mark").first).to_have_text("上海校友会")
    expect(phone.get_by_text("内部草稿")).to_have_count(0)
    assert phone.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    RESULTS.mkdir(exist_ok=True)
    phone.screenshot(path=RESULTS / "search-results.png", full_page=True)

    phone.get_by_role("link", name="下一页").click()
    expect(phone.get_by_text("第 2 页，共 2 页")).to_be_visible()
    expect(phone.locator(".search-hit")).to_have_count(4)
    expect(phone.locator(".search-hit mark").first).to_have_text("上海校友会")

    phone.get_by_role("link", name="捐赠项目 1").click()
    expect(phone.locator(".search-hit")).to_have_count(1)
    phone.locator(".search-hit a").click()
    expect(phone.get_by_role("heading", name="校友会奖学金")).to_be_visible()


def test_the_header_box_searches_from_a_desktop_page(open_page, content):
    page = open_page()
    page.goto("/news/")
    page.get_by_role("searchbox", name="站内搜索").fill("徒步")
    page.get_by_role("button", name="搜索").first.click()
    expect(page.locator(".search-hit h3")).to_have_text(["上海校友会秋季徒步"])
    expect(page.get_by_role("searchbox", name="搜索内容")).to_have_value("徒步")
    page.screenshot(path=RESULTS / "search-results-desktop.png")


def test_an_alumnus_typing_traditional_characters_finds_the_same_items(open_page, content):
    _published(
        ArticleFactory,
        1,
        title="香港校友會捐贈儀式",
        author="宣传部",
        body="<p>香港校友會向母校捐贈圖書。</p>",
    )
    phone = open_page(phone=True)
    phone.goto("/")
    box = phone.get_by_role("searchbox", name="站内搜索")
    box.fill("校友會 捐贈")
    box.press("Enter")
    expect(phone.get_by_role("status")).to_have_text("“校友會 捐贈”共找到 1 条结果")
    expect(phone.locator(".search-hit h3")).to_have_text("香港校友會捐贈儀式")
    expect(phone.locator(".search-hit h3 mark")).to_have_text(["校友會", "捐贈"])

    phone.get_by_role("searchbox", name="搜索内容").fill("上海校友會")
    phone.get_by_role("searchbox", name="搜索内容").press("Enter")
    expect(phone.get_by_role("status")).to_have_text("“上海校友會”共找到 14 条结果")
    expect(phone.locator(".search-hit h3 mark").first).to_have_text("上海校友会")
    phone.screenshot(path=RESULTS / "search-results-traditional.png", full_page=True)
