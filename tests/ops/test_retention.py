"""Retention (alumni_cms/retention.py): old rows go in batches; what the workflow reads stays."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from alumni_cms import retention
from alumni_cms.models import Problem
from alumni_cms.tasks import retention_task
from audience.models import FollowerSyncRun, SyncStatus
from editorial.models import AuditEntry, Revision
from stats.models import FlushBatch
from tests.factories import ArticleFactory, EditorFactory, InboxMessageFactory
from wechat.models import CallbackEvent, InboxMessage

pytestmark = pytest.mark.django_db


def ago(days=0, minutes=0):
    return timezone.now() - timedelta(days=days, minutes=minutes)


def callback_event(n, *, received_at):
    return CallbackEvent.objects.create(
        dedup_key=f"k{n}",
        msg_type="event",
        event="subscribe",
        from_user=f"o{n}",
        to_user="gh",
        sent_at=received_at,
        received_at=received_at,
    )


def test_old_callback_events_go_and_recent_ones_stay(settings):
    settings.RETENTION_CALLBACK_EVENT_DAYS = 90
    old = callback_event(1, received_at=ago(days=91))
    recent = callback_event(2, received_at=ago(days=89))
    assert retention.callback_events_prune() == 1
    assert not CallbackEvent.objects.filter(pk=old.pk).exists()
    assert CallbackEvent.objects.filter(pk=recent.pk).exists()


def test_deletes_in_batches_of_the_setting(settings):
    settings.RETENTION_CALLBACK_EVENT_DAYS = 1
    for n in range(5):
        callback_event(n, received_at=ago(days=2))
    # Three batches of 2 (2, 2, 1) and the empty look that ends it.
    assert retention.delete_in_batches(CallbackEvent.objects.all(), batch=2) == 5
    assert not CallbackEvent.objects.exists()


def test_a_second_run_deletes_nothing(settings):
    settings.RETENTION_CALLBACK_EVENT_DAYS = 1
    callback_event(1, received_at=ago(days=2))
    first = retention_task()
    second = retention_task()
    assert first["callback_events"] == 1
    assert all(count == 0 for count in second.values())


def test_zero_days_keeps_everything(settings):
    settings.RETENTION_CALLBACK_EVENT_DAYS = 0
    callback_event(1, received_at=ago(days=4000))
    assert retention.callback_events_prune() == 0
    assert CallbackEvent.objects.count() == 1


def test_old_follower_syncs_go_but_the_latest_finished_one_stays(settings):
    settings.RETENTION_FOLLOWER_SYNC_DAYS = 30
    older = FollowerSyncRun.objects.create(status=SyncStatus.FINISHED, started_at=ago(days=60))
    latest = FollowerSyncRun.objects.create(status=SyncStatus.FINISHED, started_at=ago(days=40))
    failed = FollowerSyncRun.objects.create(status=SyncStatus.FAILED, started_at=ago(days=50))
    assert retention.follower_syncs_prune() == 2
    assert list(FollowerSyncRun.objects.values_list("pk", flat=True)) == [latest.pk]
    assert not FollowerSyncRun.objects.filter(pk__in=[older.pk, failed.pk]).exists()


def test_flushed_view_batches_go_after_their_days(settings):
    settings.RETENTION_STATS_BATCH_DAYS = 7
    FlushBatch.objects.create(token="old", flushed_at=ago(days=8))
    FlushBatch.objects.create(token="new", flushed_at=ago(days=1))
    assert retention.stats_batches_prune() == 1
    assert list(FlushBatch.objects.values_list("token", flat=True)) == ["new"]


def test_old_login_records_go(settings):
    from axes.models import AccessLog

    settings.RETENTION_LOGIN_LOG_DAYS = 30
    old = AccessLog.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="", path_info="/"
    )
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=ago(days=31))
    AccessLog.objects.create(username="y", ip_address="10.0.0.2", path_info="/")
    assert retention.login_records_prune() == 1
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["y"]


def test_mailed_problems_go_after_their_days(settings):
    settings.RETENTION_ALERT_DAYS = 30
    Problem.objects.create(
        key="a", kind="push_failed", summary="a", found_at=ago(days=31), mailed_at=ago(days=31)
    )
    Problem.objects.create(key="b", kind="push_failed", summary="b", found_at=ago(days=31))
    assert retention.problems_prune() == 1
    assert list(Problem.objects.values_list("key", flat=True)) == ["b"]


def revisions_of(article, count, *, by, start_days=100):
    content_type = ContentType.objects.get_for_model(article)
    return [
        Revision.objects.create(
            content_type=content_type,
            object_id=article.pk,
            data={"title": f"v{n}"},
            state="draft",
            created_by=by,
            created_at=ago(days=start_days - n),
        )
        for n in range(count)
    ]


def audit(article, action, *, at, comment=""):
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(article),
        object_id=article.pk,
        action=action,
        comment=comment,
        created_at=at,
    )


def remaining(article):
    return set(Revision.objects.filter(object_id=article.pk).values_list("data__title", flat=True))


def test_only_the_latest_revisions_per_item_are_kept(settings):
    settings.RETENTION_REVISIONS_PER_ITEM = 3
    editor = EditorFactory()
    article = ArticleFactory()
    revisions_of(article, 8, by=editor)
    audit(article, "editorial.item.approved", at=ago(days=1))
    retention.revisions_prune()
    assert remaining(article) == {"v5", "v6", "v7"}


def test_an_item_with_few_revisions_is_left_alone(settings):
    settings.RETENTION_REVISIONS_PER_ITEM = 3
    article = ArticleFactory()
    revisions_of(article, 3, by=EditorFactory())
    assert retention.revisions_prune() == 0


def test_the_revision_an_approval_was_made_from_is_kept(settings):
    settings.RETENTION_REVISIONS_PER_ITEM = 2
    editor = EditorFactory()
    article = ArticleFactory()
    revisions = revisions_of(article, 8, by=editor)
    audit(article, "editorial.item.approved", at=revisions[2].created_at + timedelta(minutes=1))
    audit(article, "editorial.item.approved", at=ago(days=1))
    retention.revisions_prune()
    assert remaining(article) == {"v2", "v6", "v7"}


def test_a_revision_a_restore_names_is_kept(settings):
    settings.RETENTION_REVISIONS_PER_ITEM = 2
    editor = EditorFactory()
    article = ArticleFactory()
    revisions = revisions_of(article, 8, by=editor)
    audit(article, "editorial.item.approved", at=ago(days=1))
    audit(article, "editorial.revision.restored", at=ago(days=50), comment=f"#{revisions[1].pk}")
    retention.revisions_prune()
    assert "v1" in remaining(article)


def test_each_persons_newest_revision_since_the_last_approval_is_kept(settings):
    """The four-eyes rule asks whether someone changed an item since its last approval."""
    from editorial.selectors import item_changed_since_approval

    settings.RETENTION_REVISIONS_PER_ITEM = 2
    first, second = EditorFactory(), EditorFactory()
    article = ArticleFactory()
    revisions_of(article, 1, by=second, start_days=120)
    revisions_of(article, 8, by=first)
    assert item_changed_since_approval(item=article, user=second)
    retention.revisions_prune()
    assert item_changed_since_approval(item=article, user=second)
    assert Revision.objects.filter(object_id=article.pk).count() == 3


def test_emulator_logs_are_left_alone_without_the_emulator(settings):
    settings.WECHAT_EMULATOR = False
    assert retention.emulator_logs_prune() == 0


def test_emulator_logs_older_than_the_setting_are_trimmed(settings):
    from wechat_emulator.server import EmulatorServer

    server = EmulatorServer(port=0).start()
    try:
        state = server.state
        with state.lock:
            state.inbox.extend([{"at": state.now() - 10 * 86400}, {"at": state.now()}])
        host, port = server.url.removeprefix("http://").rstrip("/").split(":")
        settings.WECHAT_EMULATOR = True
        settings.WECHAT_EMULATOR_HOST, settings.WECHAT_EMULATOR_PORT = host, int(port)
        settings.RETENTION_EMULATOR_LOG_DAYS = 7
        assert retention.emulator_logs_prune() == 1
        assert len(state.inbox) == 1
    finally:
        server.stop()


def test_a_failing_step_becomes_a_problem_and_the_others_still_run(settings, monkeypatch):
    settings.RETENTION_STATS_BATCH_DAYS = 7
    FlushBatch.objects.create(token="old", flushed_at=ago(days=8))

    def broken():
        raise RuntimeError("table is locked")

    monkeypatch.setitem(retention.STEPS, "callback_events", broken)
    counts = retention.retention_run()
    assert counts["callback_events"] == -1
    assert counts["stats_batches"] == 1
    assert "callback_events" in Problem.objects.get(key__startswith="retention:").summary


def test_old_inbox_messages_go_and_recent_ones_stay(settings):
    settings.RETENTION_INBOX_DAYS = 365
    old_in = InboxMessageFactory(received_at=ago(days=366))
    old_answer = InboxMessageFactory(direction="out", msg_id="", received_at=ago(days=400))
    recent = InboxMessageFactory(received_at=ago(days=364))
    assert retention.inbox_messages_prune() == 2
    assert list(InboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not InboxMessage.objects.filter(pk__in=[old_in.pk, old_answer.pk]).exists()


def test_zero_inbox_days_keeps_every_message(settings):
    settings.RETENTION_INBOX_DAYS = 0
    InboxMessageFactory(received_at=ago(days=4000))
    assert retention.inbox_messages_prune() == 0
    assert InboxMessage.objects.count() == 1


def test_the_nightly_run_prunes_the_inbox(settings):
    settings.RETENTION_INBOX_DAYS = 30
    InboxMessageFactory(received_at=ago(days=31))
    assert retention_task()["inbox_messages"] == 1
    assert not InboxMessage.objects.exists()


def test_pruning_revisions_leaves_the_cached_public_pages_alone(settings):
    from core.pagecache import pages_version

    settings.RETENTION_REVISIONS_PER_ITEM = 2
    article = ArticleFactory()
    revisions_of(article, 5, by=EditorFactory())
    before = pages_version()
    assert retention.revisions_prune() == 3
    assert pages_version() == before


def test_deleting_an_article_still_drops_the_cached_pages():
    from core.pagecache import pages_version

    article = ArticleFactory()
    before = pages_version()
    article.delete()
    assert pages_version() != before
