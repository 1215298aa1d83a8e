"""/admin/status/: the system status page, for office admins only."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from alumni_cms.heartbeat import SCHEDULER, heartbeat_record, worker_heartbeat_record
from alumni_cms.status import media_usage_measure
from audience.models import FollowerSyncRun, SyncStatus
from tests.factories import PushFactory, UserFactory
from wechat.gateway.token import AccessTokenCache
from wechat.models import Push, PushState

pytestmark = pytest.mark.django_db
URL = "/admin/status/"


def test_office_admin_sees_the_page(client, office_admin):
    client.force_login(office_admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert "系统状态" in response.content.decode()


def test_editor_cannot_see_the_page(client, editor):
    client.force_login(editor)
    assert client.get(URL).status_code == 403


def test_a_staff_member_with_the_permission_sees_the_page(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_system_status"))
    client.force_login(user)
    assert client.get(URL).status_code == 200


def test_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_index_links_the_page_for_office_admins(client, office_admin):
    client.force_login(office_admin)
    assert URL in client.get("/admin/").content.decode()


def test_admin_index_has_no_link_for_editors(client, editor):
    client.force_login(editor)
    assert URL not in client.get("/admin/").content.decode()


def test_a_failed_push_is_listed_with_its_link(client, office_admin):
    push = PushFactory(state=PushState.FAILED, error_code=45009, error_message="quota")
    client.force_login(office_admin)
    page = client.get(URL).content.decode()
    assert f"/admin/wechat/push/{push.pk}/change/" in page
    assert "45009" in page


def test_a_push_no_run_moved_for_long_is_listed_as_stuck(client, office_admin, settings):
    push = PushFactory(state=PushState.UPLOADING)
    Push.objects.filter(pk=push.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    client.force_login(office_admin)
    assert f"/admin/wechat/push/{push.pk}/change/" in client.get(URL).content.decode()


def test_a_push_waiting_for_its_send_time_is_not_stuck(client, office_admin):
    push = PushFactory(state=PushState.APPROVED, send_at=timezone.now() + timedelta(days=1))
    Push.objects.filter(pk=push.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    client.force_login(office_admin)
    assert f"/admin/wechat/push/{push.pk}/change/" not in client.get(URL).content.decode()


def test_a_follower_sync_without_progress_is_listed_as_stuck(client, office_admin):
    run = FollowerSyncRun.objects.create(
        status=SyncStatus.RUNNING, started_at=timezone.now() - timedelta(hours=3)
    )
    client.force_login(office_admin)
    assert f"/admin/audience/followersyncrun/{run.pk}/change/" in client.get(URL).content.decode()


def test_each_worker_is_shown_by_host_name(client, office_admin):
    worker_heartbeat_record(hostname="celery@web-1")
    worker_heartbeat_record(hostname="celery@web-2")
    client.force_login(office_admin)
    page = client.get(URL).content.decode()
    assert "celery@web-1" in page
    assert "celery@web-2" in page


def test_scheduler_tick_is_shown(client, office_admin):
    heartbeat_record(source=SCHEDULER)
    client.force_login(office_admin)
    response = client.get(URL)
    assert response.context["status"]["scheduler_ok"] is True


def test_a_scheduler_silent_for_long_is_not_ok(client, office_admin, settings):
    settings.HEARTBEAT_INTERVAL_SECONDS = 1
    heartbeat_record(source=SCHEDULER)
    time.sleep(3.1)
    client.force_login(office_admin)
    assert client.get(URL).context["status"]["scheduler_ok"] is False


def test_the_access_token_is_never_shown(client, office_admin, settings):
    tokens = AccessTokenCache(
        app_id=settings.WECHAT_APP_ID, fetch=lambda: ("TOKEN-SECRET-42", 7200)
    )
    tokens.get()
    client.force_login(office_admin)
    response = client.get(URL)
    assert response.context["status"]["token_present"] is True
    assert "TOKEN-SECRET-42" not in response.content.decode()


def test_media_use_comes_from_the_periodic_measurement(client, office_admin, settings):
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "a.jpg").write_bytes(b"x" * 2048)
    client.force_login(office_admin)
    assert client.get(URL).context["status"]["media"] is None
    media_usage_measure()
    media = client.get(URL).context["status"]["media"]
    assert media["bytes"] == 2048
    assert media["files"] == 1


def test_queue_length_counts_waiting_tasks(client, office_admin):
    from alumni_cms.status import queue_length

    assert isinstance(queue_length(), int)


def test_queue_length_is_unknown_when_the_broker_is_down(settings, closed_port):
    from alumni_cms.status import queue_length

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/2"
    assert queue_length() is None


def test_editor_page_lists_nothing_for_a_reviewer_either(client, reviewer):
    client.force_login(reviewer)
    assert client.get(URL).status_code == 403


def test_the_page_renders_in_english_too(client, office_admin):
    client.force_login(office_admin)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200


def test_the_page_runs_as_many_queries_for_many_problems_as_for_one(
    client, office_admin, queries_for
):
    from tests.factories import SegmentFactory

    client.force_login(office_admin)
    PushFactory(state=PushState.FAILED)
    SegmentFactory(last_sync_error="45157")
    FollowerSyncRun.objects.create(status=SyncStatus.FAILED)
    few = queries_for(URL)
    for _ in range(5):
        PushFactory(state=PushState.FAILED)
        SegmentFactory(last_sync_error="45157")
    FollowerSyncRun.objects.create(status=SyncStatus.FAILED)
    assert queries_for(URL) == few


def test_past_problems_are_listed_read_only_in_the_admin(client, office_admin):
    PushFactory(state=PushState.FAILED)
    from alumni_cms.status import problems_find

    (problem,) = problems_find()
    client.force_login(office_admin)
    assert problem.summary in client.get("/admin/alumni_cms/problem/").content.decode()
    assert client.get("/admin/alumni_cms/problem/add/").status_code == 403


def test_editors_cannot_list_past_problems(client, editor):
    client.force_login(editor)
    assert client.get("/admin/alumni_cms/problem/").status_code == 403
