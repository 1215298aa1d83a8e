"""A finished push's change page in Chromium: no preview form, WeChat's ids folded under
技术信息 until opened (screenshots push-technical-folded.png, push-technical-open.png)."""

import pytest
from playwright.sync_api import expect

from tests.factories import (
    EditorFactory,
    PushableArticleFactory,
    PushFactory,
    grant_push_permissions,
)
from wechat.models import PushState

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_finished_push_folds_its_technical_ids_and_offers_no_preview(open_page):
    editor = grant_push_permissions(EditorFactory(username="editor"))
    push = PushFactory(
        created_by=editor,
        state=PushState.FINISHED,
        items=[PushableArticleFactory(title="校友返校日回顾")],
        client_msg_id="CLIENT-MSG-7",
        msg_id="1000000007",
        msg_data_id="2247483007",
        draft_media_id="DRAFT-MEDIA-7",
    )
    page = open_page()
    log_in_to_admin(page, editor)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/admin/wechat/push/{push.pk}/change/")

    expect(page.locator("#push-preview")).to_have_count(0)
    summary = page.locator("details summary", has_text="技术信息")
    expect(summary).to_be_visible()
    expect(page.get_by_text("CLIENT-MSG-7")).to_be_hidden()
    page.screenshot(path=str(RESULTS / "push-technical-folded.png"), full_page=True)

    summary.click()
    expect(page.get_by_text("群发防重编号（clientmsgid）")).to_be_visible()
    expect(page.get_by_text("CLIENT-MSG-7")).to_be_visible()
    page.screenshot(path=str(RESULTS / "push-technical-open.png"), full_page=True)
