"""The pushes' list in the admin: the state column is a readable badge, as on a push's own page
(screenshot test-results/push-list.png). Found on a fresh demo: the list did not load the badge
styles, so 待批准 was dark text on dark orange with no padding."""

import pytest
from playwright.sync_api import expect

from tests.factories import EditorFactory, PushFactory, grant_push_permissions

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_state_column_shows_white_words_on_a_rounded_badge(open_page):
    editor = grant_push_permissions(EditorFactory(username="editor"))
    PushFactory(title="化学系校友返校日", created_by=editor)

    page = open_page()
    log_in_to_admin(page, editor)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/wechat/push/")
    badge = page.locator("#result_list .push-state")
    expect(badge).to_have_text("待批准")
    expect(badge).to_have_css("color", "rgb(255, 255, 255)")
    expect(badge).to_have_css("border-top-left-radius", "10px")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "push-list.png"))
