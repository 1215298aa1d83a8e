"""The followers page's two sync buttons: incremental (the default) and full."""

import pytest
from django.urls import reverse

from audience.models import Follower, FollowerSyncRun, SyncMode, SyncStatus
from audience.services import followers_sync

pytestmark = pytest.mark.django_db

BATCHGET = "cgi-bin/user/info/batchget"


def batchget_calls(emulator) -> int:
    return emulator.state.snapshot()["counters"].get(BATCHGET, 0)


def test_sync_without_a_mode_runs_an_incremental_sync(client, office_admin, emulator, eager_tasks):
    followers_sync(mode=SyncMode.FULL)
    before = batchget_calls(emulator)
    client.force_login(office_admin)

    client.post(reverse("admin:audience_follower_sync"))

    run = FollowerSyncRun.objects.first()
    assert (run.mode, run.status) == (SyncMode.INCREMENTAL, SyncStatus.FINISHED)
    assert batchget_calls(emulator) == before


def test_full_sync_button_fetches_every_followers_details(
    client, office_admin, emulator, eager_tasks
):
    followers_sync(mode=SyncMode.FULL)
    before = batchget_calls(emulator)
    client.force_login(office_admin)

    client.post(reverse("admin:audience_follower_sync"), {"mode": "full"})

    assert FollowerSyncRun.objects.first().mode == SyncMode.FULL
    assert batchget_calls(emulator) == before + 3


def test_unknown_sync_mode_is_refused_with_a_message(client, office_admin, emulator, eager_tasks):
    client.force_login(office_admin)

    response = client.post(reverse("admin:audience_follower_sync"), {"mode": "all"}, follow=True)

    assert not FollowerSyncRun.objects.exists()
    assert "请选择增量同步或完全同步" in response.content.decode()


def test_followers_page_offers_both_syncs_and_names_the_last_ones_kind(
    client, office_admin, emulator
):
    followers_sync(mode=SyncMode.FULL)
    followers_sync(mode=SyncMode.INCREMENTAL)
    client.force_login(office_admin)

    page = client.get(reverse("admin:audience_follower_changelist")).content.decode()

    assert 'value="incremental"' in page and "增量同步" in page
    assert 'value="full"' in page and "完全同步" in page
    assert "最近一次同步（增量）" in page
    assert Follower.objects.count() == 25


def test_editor_cannot_start_a_sync(client, editor, emulator, eager_tasks):
    client.force_login(editor)

    response = client.post(reverse("admin:audience_follower_sync"), {"mode": "full"})

    assert response.status_code == 403
    assert not FollowerSyncRun.objects.exists()
