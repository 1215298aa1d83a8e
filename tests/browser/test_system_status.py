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


@pytest.fixture
def installed_long_ago():
    """Migrations applied a month ago (a site past its first night), put back afterwards: this
    test commits, and later tests must see a fresh install again."""
    from datetime import timedelta

    from django.db.migrations.recorder import MigrationRecorder
    from django.utils import timezone

    applied = dict(MigrationRecorder.Migration.objects.values_list("pk", "applied"))
    MigrationRecorder.Migration.objects.update(applied=timezone.now() - timedelta(days=30))
    yield
    for pk, moment in applied.items():
        MigrationRecorder.Migration.objects.filter(pk=pk).update(applied=moment)


def test_office_admin_sees_the_follower_sync_overdue(open_page, installed_long_ago):
    from datetime import timedelta

    from django.utils import timezone

    from audience.models import FollowerSyncRun, SyncStatus
    from stats.models import WeChatSyncedDay

    FollowerSyncRun.objects.create(
        status=SyncStatus.FINISHED,
        started_at=timezone.now() - timedelta(days=3),
        finished_at=timezone.now() - timedelta(days=3),
    )
    WeChatSyncedDay.objects.create(day=timezone.localdate())
    heartbeat_record(source=SCHEDULER)
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory())

    page.goto("/admin/status/")

    expect(page.locator("#follower-sync-overdue")).to_have_text("逾期未完成")
    expect(page.locator("#problems")).to_contain_text("粉丝同步至今没有完成")
    expect(page.locator("#datacube-sync-overdue")).to_have_count(0)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "system-status-overdue.png", full_page=True)
