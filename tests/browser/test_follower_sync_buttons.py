"""The followers page offers the incremental sync first and the full one beside it; a click on
增量同步 runs it and the page names its kind. Screenshot: test-results/follower-sync-buttons.png."""

import pytest
from playwright.sync_api import expect

from audience.models import FollowerSyncRun, SyncMode
from audience.services import followers_sync
from tests.factories import OfficeAdminFactory
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("emulator"),
]


def test_office_admin_runs_an_incremental_sync_from_the_followers_page(open_page, celery_eager):
    followers_sync(mode=SyncMode.FULL)
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory())
    page.goto("/admin/audience/follower/")
    incremental = page.get_by_role("button", name="增量同步")
    expect(incremental).to_be_visible()
    expect(page.get_by_role("button", name="完全同步")).to_be_visible()

    incremental.click()

    expect(page.locator(".messagelist")).to_contain_text("已排队进行一次粉丝增量同步")
    expect(page.locator("#content")).to_contain_text("最近一次同步（增量）：已完成")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "follower-sync-buttons.png")
    assert FollowerSyncRun.objects.first().mode == SyncMode.INCREMENTAL
