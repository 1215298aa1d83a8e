"""Failed or stuck pushes and syncs, and failed tasks, are mailed to the office admins once."""

from datetime import timedelta

import pytest
from celery.signals import task_failure
from django.core import mail
from django.utils import timezone

from alumni_cms.models import Problem, ProblemKind
from alumni_cms.status import problems_notify
from alumni_cms.tasks import failures_notify_task
from audience.models import FollowerSyncRun, SyncStatus
from tests.factories import PushFactory, SegmentFactory
from wechat.models import PushState

pytestmark = pytest.mark.django_db


def test_a_failed_push_is_mailed_once_over_two_runs(office_admin):
    PushFactory(state=PushState.FAILED, error_code=45009, error_message="reach max api daily quota")
    failures_notify_task()
    failures_notify_task()
    assert len(mail.outbox) == 1
    assert "45009" in mail.outbox[0].body


def test_the_mail_goes_to_office_admins_and_not_to_editors(office_admin, editor):
    PushFactory(state=PushState.FAILED)
    problems_notify()
    assert mail.outbox[0].to == [office_admin.email]


def test_a_superuser_gets_the_mail(django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.edu.cn", "pw-123456!")
    PushFactory(state=PushState.FAILED)
    problems_notify()
    assert mail.outbox[0].to == [boss.email]


def test_the_mail_is_in_chinese_and_links_the_status_page(office_admin, settings):
    PushFactory(state=PushState.FAILED)
    problems_notify()
    message = mail.outbox[0]
    assert "系统状态" in message.subject
    assert f"{settings.SITE_URL}/admin/status/" in message.body


def test_a_second_failure_later_gets_its_own_mail(office_admin):
    PushFactory(state=PushState.FAILED)
    problems_notify()
    PushFactory(state=PushState.FAILED)
    problems_notify()
    assert len(mail.outbox) == 2


def test_nothing_wrong_sends_no_mail(office_admin):
    PushFactory(state=PushState.FINISHED)
    assert problems_notify() == 0
    assert mail.outbox == []


def test_a_push_failed_long_ago_is_not_mailed(office_admin):
    from wechat.models import Push

    push = PushFactory(state=PushState.FAILED)
    Push.objects.filter(pk=push.pk).update(updated_at=timezone.now() - timedelta(days=30))
    problems_notify()
    assert mail.outbox == []


def test_a_failed_follower_sync_is_mailed(office_admin):
    FollowerSyncRun.objects.create(status=SyncStatus.FAILED, error="45009 quota")
    problems_notify()
    assert "粉丝同步" in mail.outbox[0].body


def test_a_segment_sync_error_is_mailed(office_admin):
    SegmentFactory(last_sync_error="45157 tag name exists")
    problems_notify()
    assert "45157" in mail.outbox[0].body


def test_a_problem_stays_unmailed_while_the_mail_server_refuses(office_admin, settings):
    settings.EMAIL_BACKEND = "tests.ops.test_problems_mail.RefusingBackend"
    PushFactory(state=PushState.FAILED)
    with pytest.raises(ConnectionRefusedError):
        problems_notify()
    assert Problem.objects.get().mailed_at is None


def test_a_task_that_failed_for_good_becomes_a_problem(office_admin):
    task_failure.send(
        sender=failures_notify_task, task_id="abc-123", exception=RuntimeError("boom")
    )
    problem = Problem.objects.get(key="task:abc-123")
    assert problem.kind == ProblemKind.TASK_FAILED
    assert "alumni_cms.tasks.failures_notify_task" in problem.summary


def test_a_failed_task_keeps_no_personal_data(office_admin):
    task_failure.send(
        sender=failures_notify_task,
        task_id="abc-124",
        exception=ValueError("no record for 13800138000 / zhang.san@example.com"),
    )
    summary = Problem.objects.get(key="task:abc-124").summary
    assert "13800138000" not in summary
    assert "zhang.san@example.com" not in summary


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_mail(postgres_only):
    import threading

    from django.db import connection

    from tests.factories import OfficeAdminFactory

    OfficeAdminFactory()
    for _ in range(3):
        PushFactory(state=PushState.FAILED)
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            problems_notify()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mail.outbox) == 1
    assert not Problem.objects.filter(mailed_at__isnull=True).exists()


def test_a_nearly_full_media_disk_is_mailed_once_a_day(office_admin, settings):
    from django.core.cache import cache

    from alumni_cms.status import MEDIA_USAGE_KEY

    settings.OPS_DISK_ALERT_PERCENT = 90
    cache.set(MEDIA_USAGE_KEY, {"disk_total": 100 * 2**30, "disk_used": 95 * 2**30,
                                "disk_free": 5 * 2**30, "bytes": 1, "files": 1})  # fmt: skip
    problems_notify()
    problems_notify()
    assert len(mail.outbox) == 1
    assert "95%" in mail.outbox[0].body


def test_a_media_disk_with_room_is_no_problem(office_admin):
    from django.core.cache import cache

    from alumni_cms.status import MEDIA_USAGE_KEY

    cache.set(MEDIA_USAGE_KEY, {"disk_total": 100, "disk_used": 50, "disk_free": 50})
    assert problems_notify() == 0
