"""A push's page follows its sending live in Chromium (issue 12 item 4): mid-upload it shows
each item's uploads (screenshot push-in-progress.png); while the test thread runs the push
against the WeChat emulator the panel moves on without a reload; WeChat's finish notice,
delivered by the emulator to the live site, ends the polling with one reload and the figures."""

import pytest
from playwright.sync_api import expect

from tests.factories import EditorFactory, PushFactory, grant_push_permissions
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401 (fixtures)
from tests.wechat.push_support import article_with_images, run_push
from wechat.models import PushEventKind, PushState
from wechat.progress import upload_progress_record

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_push_page_follows_the_sending_without_reload_and_stops_at_the_end(
    open_page,
    emulator,  # noqa: F811 (the fixture imported above)
    live_server,
):
    # WeChat's notice comes a few polls after the send, so the page shows the push sent first
    # (and once the run has ended: in-memory SQLite shared between threads refuses concurrent
    # writers, where PostgreSQL would wait for the row lock).
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/", callback_delay=6)
    editor = grant_push_permissions(EditorFactory(username="editor"))
    push = PushFactory(
        title="校友返校日",
        created_by=editor,
        state=PushState.UPLOADING,
        items=[
            article_with_images(2, title="校友返校日回顾"),
            article_with_images(1, title="返校日篮球赛"),
        ],
    )
    push.events.create(kind=PushEventKind.APPROVED, user=editor)
    push.events.create(kind=PushEventKind.UPLOADING)
    # Mid-upload, as the pipeline records it: the first item has one of its three files.
    upload_progress_record(push.pk, [(1, 3), (0, 2)])

    page = open_page()
    log_in_to_admin(page, editor)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/admin/wechat/push/{push.pk}/change/")
    panel = page.locator("#push-progress")
    expect(panel.locator('[data-step="upload"]')).to_have_attribute("aria-current", "step")
    expect(panel.locator('tr[data-position="1"]')).to_contain_text("1/3")
    expect(panel.locator('tr[data-position="2"]')).to_contain_text("0/2")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(RESULTS / "push-in-progress.png"), full_page=True)
    page.evaluate("window.notReloaded = true")

    run_push(push)  # uploads, the draft and the mass send, against the emulator

    expect(panel.locator('[data-step="sent"]')).to_have_attribute("aria-current", "step")
    expect(panel.locator('tr[data-position="1"]')).to_contain_text("图片已上传")
    expect(page.locator("#push-status")).to_have_text("已发往微信")
    assert page.evaluate("window.notReloaded") is True  # updated in place

    # WeChat's notice reaches the site; the page reloads once and polls no more.
    page.wait_for_function(
        "() => window.notReloaded === undefined"
        " && document.querySelector('[data-progress]').dataset.final === '1'",
        timeout=20_000,
    )
    figures = page.locator(".push-figures")
    expect(figures).to_contain_text("送达")
    expect(figures.locator("dd").nth(2)).to_have_text("25")
    expect(page.locator("#push-status")).to_contain_text("已完成")
    expect(page.locator('[data-step="finished"]')).to_have_class("push-step push-step-done")
    page.screenshot(path=str(RESULTS / "push-finished-live.png"), full_page=True)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.wait_for_timeout(4500)
    assert not [url for url in requests if url.endswith("/progress/")]
