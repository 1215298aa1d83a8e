"""An office admin follows 系统状态 from the admin's home and sees, on one page, the services,
heartbeats, a failed push and the uploaded files' size. Screenshot:
test-results/system-status.png."""

import pytest
from playwright.sync_api import expect

from alumni_cms.heartbeat import SCHEDULER, heartbeat_record, worker_heartbeat_record
from alumni_cms.status import media_usage_measure
from tests.factories import OfficeAdminFactory, PushFactory
from wechat.models import PushState

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_admin_reads_the_system_status(open_page):
    push = PushFactory(
        title="校庆推送", state=PushState.FAILED, error_code=45009, error_message="quota"
    )
    heartbeat_record(source=SCHEDULER)
    worker_heartbeat_record(hostname="celery@web-1")
    media_usage_measure()
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory())

    page.get_by_role("link", name="系统状态").click()

    expect(page.locator("h1")).to_contain_text("系统状态")
    expect(page.locator("#services")).to_contain_text("数据库")
    expect(page.locator("#services")).to_contain_text("可连接")
    expect(page.locator("#heartbeats")).to_contain_text("celery@web-1")
    expect(page.locator("#problems")).to_contain_text(f"推送 #{push.pk} 失败")
    expect(page.locator("#status-summary")).to_contain_text("有 1 个问题需要查看")
    expect(page.locator("#media-usage")).to_contain_text("媒体文件夹大小")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "system-status.png", full_page=True)
