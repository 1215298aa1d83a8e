"""The nightly follower sync and the daily reading-statistics (datacube) sync are watched: when
one has not succeeded some hours after it was due (the task keeps failing, or never ran), the
status page, `manage.py status` and the office admins' mail say so."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from alumni_cms.heartbeat import BEAT, SCHEDULER, heartbeat_record
from alumni_cms.models import Problem, ProblemKind
from alumni_cms.status import (
    DATACUBE_SYNC_ENTRY,
    FOLLOWER_SYNC_ENTRY,
    datacube_sync_overdue,
    follower_sync_overdue,
    schedule_last_due,
)
from alumni_cms.tasks import failures_notify_task
from audience.models import FollowerSyncRun, SyncStatus
from stats.models import WeChatSyncedDay

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/admin/status/"
# The nightly follower sync is due at 03:17 and the datacube sync at 08:40 (settings).
FOLLOWERS_DUE = datetime(2026, 12, 2, 3, 17, tzinfo=SHANGHAI)
DATACUBE_DUE = datetime(2026, 12, 2, 8, 40, tzinfo=SHANGHAI)


@pytest.fixture
def installed_long_ago():
    """A site whose migrations were applied a month ago (not a fresh install)."""
    MigrationRecorder.Migration.objects.update(applied=timezone.now() - timedelta(days=30))


def finished_run(at):
    return FollowerSyncRun.objects.create(
        status=SyncStatus.FINISHED, started_at=at - timedelta(minutes=1), finished_at=at
    )


# When a schedule was last due


def test_a_daily_crontab_was_last_due_yesterday_before_its_time():
    at = datetime(2026, 12, 2, 2, 0, tzinfo=SHANGHAI)
    assert schedule_last_due(crontab(hour=3, minute=17), at=at) == datetime(
        2026, 12, 1, 3, 17, tzinfo=SHANGHAI
    )


def test_a_daily_crontab_is_due_at_its_own_minute():
    assert schedule_last_due(crontab(hour=3, minute=17), at=FOLLOWERS_DUE) == FOLLOWERS_DUE


def test_a_weekly_crontab_was_last_due_on_its_weekday():
    at = datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)  # a Wednesday
    monday = crontab(hour=6, minute=0, day_of_week=1)
    assert schedule_last_due(monday, at=at) == datetime(2026, 11, 30, 6, 0, tzinfo=SHANGHAI)


def test_an_interval_was_last_due_one_period_ago():
    at = timezone.now()
    assert schedule_last_due(timedelta(hours=6), at=at) == at - timedelta(hours=6)


def test_the_watched_entries_are_the_scheduled_syncs():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule[FOLLOWER_SYNC_ENTRY]["task"] == "audience.tasks.followers_sync_task"
    assert schedule[DATACUBE_SYNC_ENTRY]["task"] == "stats.tasks.wechat_stats_sync_task"


# Follower sync


def test_a_follower_sync_finished_after_its_due_time_is_not_overdue(installed_long_ago):
    finished_run(FOLLOWERS_DUE + timedelta(minutes=2))
    assert follower_sync_overdue(now=FOLLOWERS_DUE + timedelta(hours=5)) == []


def test_a_follower_sync_missing_past_the_margin_is_overdue(installed_long_ago):
    finished_run(FOLLOWERS_DUE - timedelta(days=1))
    (found,) = follower_sync_overdue(now=FOLLOWERS_DUE + timedelta(hours=3, minutes=1))
    assert found.kind == ProblemKind.FOLLOWER_SYNC_OVERDUE
    assert "2026-12-02 03:17" in found.summary


def test_a_follower_sync_still_within_the_margin_is_not_overdue(installed_long_ago):
    finished_run(FOLLOWERS_DUE - timedelta(days=1))
    assert follower_sync_overdue(now=FOLLOWERS_DUE + timedelta(hours=2, minutes=59)) == []


def test_a_follower_sync_that_keeps_failing_is_overdue(installed_long_ago):
    finished_run(FOLLOWERS_DUE - timedelta(days=3))
    for days in (2, 1, 0):
        FollowerSyncRun.objects.create(
            status=SyncStatus.FAILED,
            started_at=FOLLOWERS_DUE - timedelta(days=days),
            finished_at=FOLLOWERS_DUE - timedelta(days=days),
        )
    (found,) = follower_sync_overdue(now=FOLLOWERS_DUE + timedelta(hours=4))
    assert "2026-11-29 03:17" in found.summary  # the last one that finished


def test_a_follower_sync_that_never_ran_is_overdue(installed_long_ago):
    (found,) = follower_sync_overdue(now=timezone.now())
    assert "从未" in found.summary


def test_a_fresh_install_is_not_overdue_before_its_first_night():
    assert follower_sync_overdue(now=timezone.now()) == []


# Reading statistics (datacube)


def test_datacube_with_yesterday_synced_is_not_overdue(installed_long_ago):
    WeChatSyncedDay.objects.create(day=DATACUBE_DUE.date() - timedelta(days=1))
    assert datacube_sync_overdue(now=DATACUBE_DUE + timedelta(hours=4)) == []


def test_datacube_missing_yesterday_past_the_margin_is_overdue(installed_long_ago):
    WeChatSyncedDay.objects.create(day=DATACUBE_DUE.date() - timedelta(days=2))
    (found,) = datacube_sync_overdue(now=DATACUBE_DUE + timedelta(hours=4))
    assert found.kind == ProblemKind.DATACUBE_SYNC_OVERDUE
    assert "2026-12-01" in found.summary
    assert "2026-11-30" in found.summary


def test_datacube_before_its_time_today_wants_only_the_day_before_yesterday(installed_long_ago):
    WeChatSyncedDay.objects.create(day=DATACUBE_DUE.date() - timedelta(days=2))
    assert datacube_sync_overdue(now=DATACUBE_DUE + timedelta(hours=2)) == []


def test_datacube_that_never_ran_is_overdue(installed_long_ago):
    (found,) = datacube_sync_overdue(now=timezone.now())
    assert "从未" in found.summary


def test_datacube_on_a_fresh_install_is_not_overdue():
    assert datacube_sync_overdue(now=timezone.now()) == []


# Where it shows


def test_the_status_page_marks_an_overdue_follower_sync(client, office_admin, installed_long_ago):
    finished_run(timezone.now() - timedelta(days=3))
    WeChatSyncedDay.objects.create(day=timezone.localdate())
    client.force_login(office_admin)
    page = client.get(URL).content.decode()
    assert 'id="follower-sync-overdue"' in page
    assert 'id="datacube-sync-overdue"' not in page
    assert "/admin/audience/followersyncrun/" in page


def test_the_status_page_marks_overdue_reading_statistics(client, office_admin, installed_long_ago):
    finished_run(timezone.now())
    client.force_login(office_admin)
    response = client.get(URL)
    page = response.content.decode()
    assert 'id="datacube-sync-overdue"' in page
    assert 'id="follower-sync-overdue"' not in page
    assert response.context["status"]["problem_count"] == 1


def test_the_status_command_exits_1_for_an_overdue_sync(installed_long_ago):
    heartbeat_record(source=SCHEDULER)
    heartbeat_record(source=BEAT)
    WeChatSyncedDay.objects.create(day=timezone.localdate())
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("status", stdout=out)
    assert "粉丝同步：逾期未完成" in out.getvalue()
    assert "阅读统计同步：正常" in out.getvalue()


def test_the_status_command_reports_overdue_syncs_in_json(installed_long_ago):
    heartbeat_record(source=SCHEDULER)
    heartbeat_record(source=BEAT)
    finished_run(timezone.now())
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("status", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["follower_sync_ok"] is True
    assert report["datacube_sync_ok"] is False


def test_the_status_command_is_ok_when_both_syncs_succeeded(installed_long_ago):
    heartbeat_record(source=SCHEDULER)
    heartbeat_record(source=BEAT)
    finished_run(timezone.now())
    WeChatSyncedDay.objects.create(day=timezone.localdate())
    out = StringIO()
    call_command("status", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True


def test_an_overdue_sync_is_mailed_once_over_two_runs(office_admin, installed_long_ago):
    WeChatSyncedDay.objects.create(day=timezone.localdate())
    failures_notify_task()
    failures_notify_task()
    assert len(mail.outbox) == 1
    assert "粉丝同步" in mail.outbox[0].body
    assert Problem.objects.get().kind == ProblemKind.FOLLOWER_SYNC_OVERDUE
