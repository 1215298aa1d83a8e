"""Admin change lists at a laptop's 1366×768 and a desktop's 1920×1080, navigation sidebar open:
titles get room (no character-per-line wrapping), no column is cut off (the table fits its box or
scrolls inside it), and the filter column folds away behind a button that opens it.

Screenshots: test-results/article-list-1366.png, article-list-1920.png,
registrations-list-1366.png, registrations-list-1920.png, article-list-filter-1366.png.
"""

import pytest
from playwright.sync_api import expect

from activities.models import RegistrationStatus
from tests.factories import (
    ActivityFactory,
    AlumnusFactory,
    ArticleFactory,
    BranchFactory,
    CategoryFactory,
    DepartmentFactory,
    OfficeAdminFactory,
    RegistrationFactory,
)

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (1920, 1080)]
# As long as a title may be (32 characters, WeChat's limit).
TITLE = "第{n}届全球校友返校日暨计算机学院建院六十周年学术论坛隆重举行"
ACTIVITY = "2026年上海校友会年度联谊晚会暨浦东国际会议中心新春团拜会"

# Whether the table fits its box, the link column's width, and the last header's edges once the
# table is scrolled to its end inside its box (the box's edges and the window's width to compare).
MEASURE = """() => {
    const results = document.querySelector('#changelist-form .results');
    const fits = results.scrollWidth <= results.clientWidth;
    results.scrollLeft = results.scrollWidth;
    const headers = document.querySelectorAll('#result_list thead th');
    const last = headers[headers.length - 1].getBoundingClientRect();
    const box = results.getBoundingClientRect();
    const link = document.querySelector('#result_list tbody th').getBoundingClientRect();
    const sizes = {
        fits, link: link.width, lastRight: last.right, lastLeft: last.left, boxRight: box.right,
        boxLeft: box.left, window: document.documentElement.clientWidth,
    };
    results.scrollLeft = 0;
    return sizes;
}"""


@pytest.fixture
def office():
    return OfficeAdminFactory(username="office", first_name="晓舟", last_name="林")


def _articles(office, count=30):
    category = CategoryFactory(name="校园动态")
    department = DepartmentFactory(name="计算机科学与技术学院")
    branch = BranchFactory(name="上海校友会浦东联络处")
    for n in range(1, count + 1):
        ArticleFactory(
            title=TITLE.format(n=n),
            category=category,
            department=department if n % 3 else None,
            branch=None if n % 3 else branch,
            created_by=office,
        )


def _open_list(page, url, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    expect(page.locator("#result_list")).to_be_visible()


def _assert_readable(page, *, link_min: float) -> dict:
    sizes = page.evaluate(MEASURE)
    assert sizes["link"] >= link_min
    # Scrolled to its end, the last column lies inside the table's box and the window.
    assert sizes["lastLeft"] >= sizes["boxLeft"]
    assert sizes["lastRight"] <= sizes["boxRight"] + 1
    assert sizes["lastRight"] <= sizes["window"]
    return sizes


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}")
def test_the_article_list_gives_titles_room_and_cuts_off_no_column(open_page, office, size):
    _articles(office)
    page = open_page()
    log_in_to_admin(page, office)

    _open_list(page, "/admin/articles/article/", size)

    expect(page.locator("#nav-sidebar")).to_be_visible()
    assert _assert_readable(page, link_min=250)["fits"]
    expect(page.locator("#result_list tbody tr")).to_have_count(30)
    expect(page.locator("#result_list thead")).to_contain_text("来源")
    expect(page.locator("#result_list tbody")).to_contain_text("林晓舟")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"article-list-{size[0]}.png")


def test_the_filter_column_is_folded_on_a_laptop_and_open_on_a_wide_screen(open_page, office):
    _articles(office, count=3)
    page = open_page()
    log_in_to_admin(page, office)

    _open_list(page, "/admin/articles/article/", SIZES[0])
    expect(page.locator("#changelist-filter")).to_be_hidden()
    expect(page.locator("#changelist-filter-toggle")).to_have_attribute("aria-expanded", "false")

    _open_list(page, "/admin/articles/article/", SIZES[1])
    expect(page.locator("#changelist-filter")).to_be_visible()


def test_a_folded_filter_opens_and_filters_the_list(open_page, office):
    _articles(office, count=6)
    ArticleFactory(title="另一栏目的文章", category=CategoryFactory(name="通知公告"))
    page = open_page()
    log_in_to_admin(page, office)
    _open_list(page, "/admin/articles/article/", SIZES[0])

    page.get_by_role("button", name="过滤器").click()
    filters = page.locator("#changelist-filter")
    expect(filters).to_be_visible()
    filters.get_by_role("link", name="通知公告").click()

    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody")).to_contain_text("另一栏目的文章")
    # The person opened it: it stays open on the next page of this tab, and says one is on.
    expect(filters).to_be_visible()
    expect(page.locator("#changelist-filter-toggle")).to_have_text("过滤器（1 项）")
    _assert_readable(page, link_min=250)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "article-list-filter-1366.png")

    page.get_by_role("button", name="过滤器（1 项）").click()
    expect(filters).to_be_hidden()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}")
def test_the_registrations_list_shows_every_column(open_page, office, size):
    activity = ActivityFactory(title=ACTIVITY)
    alumnus = AlumnusFactory(name="欧阳明远")
    for n in range(25):
        RegistrationFactory(
            activity=activity,
            name=f"欧阳明{n}",
            alumnus=alumnus if n % 2 else None,
            status=RegistrationStatus.WAITLISTED if n % 5 == 0 else RegistrationStatus.REGISTERED,
        )
    page = open_page()
    log_in_to_admin(page, office)

    _open_list(page, "/admin/activities/registration/", size)

    assert _assert_readable(page, link_min=90)["fits"]
    activity_cell = page.locator("#result_list tbody td.field-activity").first
    assert activity_cell.bounding_box()["width"] >= 120
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"registrations-list-{size[0]}.png")


def test_the_change_form_keeps_its_top_panel_above_the_fields_at_1366(open_page, office):
    _articles(office, count=1)
    page = open_page()
    log_in_to_admin(page, office)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/articles/article/")
    page.locator("#result_list tbody th a").first.click()

    panel = page.locator("#editorial-workflow").bounding_box()
    title = page.get_by_label("标题").bounding_box()
    assert panel["y"] + panel["height"] <= title["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "article-change-1366.png")
