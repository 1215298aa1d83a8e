"""The daily datacube sync over HTTP against the emulator: a real push, its mass send, and the
next days' statistics linked back to the push and its items."""

from datetime import timedelta

import pytest

from editorial.publishing import item_key
from stats.models import WeChatArticleStat, WeChatReadSource, WeChatSyncedDay
from stats.services import datacube_rows, wechat_stats_catch_up, wechat_stats_sync
from stats.tasks import wechat_stats_sync_task
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401
from tests.wechat.push_support import approved_push, article_with_images, run_push

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def sent(emulator, push_editor, push_reviewer):  # noqa: F811
    """Two articles mass-sent today (the emulator's today) in one push."""
    first, second = article_with_images(1, title="校庆回顾"), article_with_images(1, title="招聘会")
    push = run_push(approved_push([first, second], editor=push_editor, reviewer=push_reviewer))
    assert push.msg_data_id
    return {"push": push, "items": [first, second], "day": emulator.state.today()}


def test_the_day_after_a_push_its_reads_are_stored_per_item(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(DAY)

    wechat_stats_sync(day=sent["day"], fetch=datacube_rows)

    stats = list(WeChatArticleStat.objects.order_by("article_index"))
    assert [(s.msg_data_id, s.article_index, s.day) for s in stats] == [
        (sent["push"].msg_data_id, 1, sent["day"]),
        (sent["push"].msg_data_id, 2, sent["day"]),
    ]
    assert all(s.int_page_read_count > 0 for s in stats)


def test_stored_reads_are_linked_to_the_push_and_its_items(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(DAY)

    wechat_stats_sync(day=sent["day"], fetch=datacube_rows)

    linked = [
        (s.push_id, item_key(s.content_type.get_object_for_this_type(pk=s.object_id)))
        for s in WeChatArticleStat.objects.order_by("article_index")
    ]
    assert linked == [(sent["push"].pk, item_key(item)) for item in sent["items"]]


def test_syncing_the_same_day_again_stores_the_same_rows_once(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(DAY)
    wechat_stats_sync(day=sent["day"], fetch=datacube_rows)
    before = list(WeChatArticleStat.objects.values_list("article_index", "int_page_read_count"))
    sources = WeChatReadSource.objects.count()

    wechat_stats_sync(day=sent["day"], fetch=datacube_rows)

    after = list(WeChatArticleStat.objects.values_list("article_index", "int_page_read_count"))
    assert after == before
    assert WeChatReadSource.objects.count() == sources == 8  # all sources + 7 of them


def test_the_catch_up_fetches_every_missed_day_once(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(3 * DAY)
    today = emulator.state.today()

    synced = wechat_stats_catch_up(today=today, fetch=datacube_rows)
    again = wechat_stats_catch_up(today=today, fetch=datacube_rows)

    assert synced == [today - timedelta(days=n) for n in range(7, 0, -1)]
    assert again == []
    days = sorted(WeChatArticleStat.objects.values_list("day", flat=True).distinct())
    assert days == [sent["day"] + timedelta(days=n) for n in range(3)]
    assert WeChatSyncedDay.objects.count() == 7


def test_the_catch_up_skips_days_already_synced(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(2 * DAY)
    today = emulator.state.today()
    wechat_stats_sync(day=today - timedelta(days=2), fetch=datacube_rows)

    synced = wechat_stats_catch_up(today=today, fetch=datacube_rows, days=2)

    assert synced == [today - timedelta(days=1)]


def test_a_failing_day_keeps_the_days_before_it_and_is_tried_again(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(2 * DAY)
    today = emulator.state.today()
    calls = []

    def fetch_failing_second(day):
        calls.append(day)
        if len(calls) == 2:
            raise RuntimeError("WeChat is down")
        return datacube_rows(day)

    with pytest.raises(RuntimeError):
        wechat_stats_catch_up(today=today, fetch=fetch_failing_second, days=2)
    retried = wechat_stats_catch_up(today=today, fetch=datacube_rows, days=2)

    assert retried == [today - timedelta(days=1)]
    assert WeChatSyncedDay.objects.count() == 2


def test_the_task_syncs_a_given_day(emulator, sent):  # noqa: F811
    emulator.state.advance_clock(DAY)

    stored = wechat_stats_sync_task(day=sent["day"].isoformat())

    assert stored == WeChatArticleStat.objects.count() + WeChatReadSource.objects.count() == 10


def test_the_daily_sync_is_scheduled_after_eight_in_shanghai(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["stats-wechat-sync-daily"]

    assert entry["task"] == "stats.tasks.wechat_stats_sync_task"
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {40}
