from datetime import date

import pytest

from stats.errors import StatsRowError
from stats.models import UserSource, WeChatArticleStat, WeChatReadSource
from stats.services import wechat_stats_store, wechat_stats_sync
from wechat.errors import RetryableError
from wechat.gateway import ArticleSummary, UserRead

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


def summary(msgid="2247483647_1", reads=120, **extra):
    """A getarticlesummary row as WeChat sends it."""
    return {
        "ref_date": "2026-03-01",
        "msgid": msgid,
        "title": "校友返校日",
        "int_page_read_user": reads - 20,
        "int_page_read_count": reads,
        "ori_page_read_user": 3,
        "ori_page_read_count": 4,
        "share_user": 5,
        "share_count": 6,
        "add_to_fav_user": 7,
        "add_to_fav_count": 8,
        **extra,
    }


def source(user_source=2, reads=50):
    """A getuserread row."""
    return {"ref_date": "2026-03-01", "user_source": user_source, "int_page_read_count": reads}


def test_storing_a_day_twice_keeps_one_row_with_the_latest_numbers():
    wechat_stats_store(rows=[summary(reads=120)], day=DAY)
    wechat_stats_store(rows=[summary(reads=150)], day=DAY)

    stat = WeChatArticleStat.objects.get()
    assert (stat.msg_data_id, stat.article_index, stat.day) == ("2247483647", 1, DAY)
    assert (stat.int_page_read_count, stat.int_page_read_user) == (150, 130)


def test_a_sync_run_twice_for_a_day_stores_the_same_figures():
    rows = [summary(), summary(msgid="2247483647_2", reads=30), source(), source(0, reads=20)]

    def fetch(day):
        assert day == DAY
        return rows

    wechat_stats_sync(day=DAY, fetch=fetch)
    first = sorted(WeChatArticleStat.objects.values_list("article_index", "int_page_read_count"))
    wechat_stats_sync(day=DAY, fetch=fetch)

    assert (
        sorted(WeChatArticleStat.objects.values_list("article_index", "int_page_read_count"))
        == first
        == [(1, 120), (2, 30)]
    )
    assert dict(WeChatReadSource.objects.values_list("user_source", "int_page_read_count")) == {
        UserSource.MOMENTS: 50,
        UserSource.CHAT: 20,
    }


def test_the_gateways_rows_are_stored_as_they_come():
    rows = [
        ArticleSummary(ref_date="2026-03-01", msgid="1000000001_3", title="捐赠", share_count=9),
        UserRead(ref_date="2026-03-01", user_source=99999999, int_page_read_count=400),
    ]

    assert wechat_stats_sync(day=DAY, fetch=lambda day: rows) == 2

    stat = WeChatArticleStat.objects.get()
    assert (stat.msg_data_id, stat.article_index, stat.share_count) == ("1000000001", 3, 9)
    assert WeChatReadSource.objects.get().user_source == UserSource.ALL


def test_a_row_is_stored_under_its_own_date():
    wechat_stats_store(rows=[source(reads=1) | {"ref_date": "2026-02-27"}], day=DAY)

    assert WeChatReadSource.objects.get().day == date(2026, 2, 27)


@pytest.mark.parametrize(
    "bad_row",
    [
        {"title": "no msgid, no source"},
        summary(int_page_read_count="many"),
        summary(share_count=-1),
        summary(ref_date="yesterday"),
        summary(msgid="2247483647_x"),
        source(user_source=42),
    ],
)
def test_a_bad_row_stores_nothing_of_its_batch(bad_row):
    with pytest.raises(StatsRowError):
        wechat_stats_store(rows=[summary(), source(), bad_row], day=DAY)

    assert not WeChatArticleStat.objects.exists()
    assert not WeChatReadSource.objects.exists()


def test_a_failed_fetch_stores_nothing():
    def fetch(day):
        raise RetryableError("WeChat is busy")

    with pytest.raises(RetryableError):
        wechat_stats_sync(day=DAY, fetch=fetch)

    assert not WeChatArticleStat.objects.exists()
