"""Issue 12, items 7 and 9 in Chromium: people named 林晓舟 on the admin's pages, 修改 for
"Change", and the site's icon found by the browser (no 404 for /favicon.ico)."""

import re

import pytest
from playwright.sync_api import expect

from editorial import services
from tests.factories import ArticleFactory, EditorFactory, ReviewerFactory

from .support import log_in_to_admin, log_in_to_portal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _icon_answers(page) -> list[int]:
    """The status of every icon the page links, and of /favicon.ico, as the browser fetches it."""
    hrefs = page.locator("link[rel=icon]").evaluate_all("links => links.map(l => l.href)")
    assert hrefs
    return [page.request.get(href).status for href in [*hrefs, "/favicon.ico"]]


def test_the_change_form_names_people_and_says_xiugai(open_page):
    lin = EditorFactory(username="linxz", first_name="晓舟", last_name="林")
    gu = ReviewerFactory(username="guml", first_name="明澜", last_name="顾")
    article = ArticleFactory(created_by=lin, title="校友返校日")
    services.item_submit(item=article, by=lin)
    services.item_reject(item=article, by=gu, reason="请补充到场校友人数。")
    page = open_page()
    log_in_to_admin(page, lin)

    page.goto(f"/admin/articles/article/{article.pk}/change/")

    expect(page).to_have_title("校友返校日 | 修改新闻 | 校友会内容管理")
    expect(page.locator("#user-tools")).to_contain_text(re.compile(r"欢迎，\s*林晓舟"))
    trail = page.locator("#editorial-audit-trail")
    expect(trail).to_contain_text("林晓舟")
    expect(trail).to_contain_text("顾明澜")
    expect(trail).not_to_contain_text("linxz")
    trail.scroll_into_view_if_needed()
    page.screenshot(path="test-results/words-audit-trail.png", full_page=True)
    assert set(_icon_answers(page)) == {200}


def test_the_portal_and_the_public_site_have_the_icon(open_page, liaison_branch, liaison):
    page = open_page(phone=True)
    log_in_to_portal(page, liaison)
    portal = _icon_answers(page)
    page.goto("/")
    public = _icon_answers(page)
    assert set(portal + public) == {200}
