"""The dashboard's pushes section: each push's items with their WeChat and site numbers."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from stats.models import DailyViews, WeChatReadSource
from stats.services import wechat_stats_store
from tests.factories import ArticleFactory, PushFactory
from tests.stats.support import dashboard_table

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


def sent_push(*items, days_ago: int, msg_data_id: str, **fields):
    push = PushFactory(items=list(items), **fields)
    push.sent_at = timezone.now() - timedelta(days=days_ago)
    push.msg_data_id = msg_data_id
    push.save()
    return push


def page_views(item, *, days_ago: int, views: int):
    DailyViews.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        day=timezone.localdate() - timedelta(days=days_ago),
        views=views,
        visitors=views,
    )


def wechat_day(days_ago: int, *rows):
    wechat_stats_store(rows=list(rows), day=timezone.localdate() - timedelta(days=days_ago))


@pytest.fixture
def pushed():
    """A push of two articles three days ago with two days of WeChat reads and site views."""
    first, second = ArticleFactory(title="校庆回顾"), ArticleFactory(title="招聘会")
    push = sent_push(first, second, days_ago=3, msg_data_id="700", title="十月第一期")
    for n, reads in ((3, 100), (2, 30)):
        wechat_day(
            n,
            {"msgid": "700_1", "int_page_read_count": reads, "share_count": 4},
            {"msgid": "700_2", "int_page_read_count": 7, "add_to_fav_count": 1},
        )
    page_views(first, days_ago=2, views=11)
    page_views(first, days_ago=1, views=5)
    return {"push": push, "items": [first, second]}


def test_each_pushed_item_shows_its_wechat_numbers_and_site_views(staff_client, pushed):
    response = staff_client.get(URL, {"days": 7})

    rows = [[str(cell) for cell in row] for row in dashboard_table(response, "pushes").rows]
    sent = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert rows == [
        [sent, "十月第一期", "1", "校庆回顾", "130", "0", "8", "0", "16"],
        [sent, "十月第一期", "2", "招聘会", "14", "0", "0", "2", "0"],
    ]


def test_the_push_table_matches_the_stored_rows(staff_client, pushed):
    from django.db.models import Sum

    from stats.models import WeChatArticleStat

    response = staff_client.get(URL, {"days": 7})

    reads = sum(row[4] for row in dashboard_table(response, "pushes").rows)
    stored = WeChatArticleStat.objects.filter(push=pushed["push"]).aggregate(
        total=Sum("int_page_read_count")
    )
    assert reads == stored["total"]


def test_pushes_sent_before_the_range_are_left_out(staff_client, pushed):
    sent_push(ArticleFactory(), days_ago=40, msg_data_id="600")

    response = staff_client.get(URL, {"days": 30})

    assert {str(row[1]) for row in dashboard_table(response, "pushes").rows} == {"十月第一期"}


def test_rows_stored_before_the_push_was_known_are_linked_on_the_next_sync(staff_client):
    article = ArticleFactory(title="补录")
    wechat_day(1, {"msgid": "800_1", "int_page_read_count": 9})
    sent_push(article, days_ago=1, msg_data_id="800")
    wechat_day(1, {"msgid": "800_1", "int_page_read_count": 9})

    response = staff_client.get(URL, {"days": 7})

    assert [row[4] for row in dashboard_table(response, "pushes").rows] == [9]


def test_reads_per_source_are_shown_per_day(staff_client):
    wechat_day(
        1,
        {"user_source": 2, "int_page_read_count": 40},
        {"user_source": 0, "int_page_read_count": 7},
    )
    wechat_day(2, {"user_source": 2, "int_page_read_count": 5})

    today = timezone.localdate()
    start = (today - timedelta(days=2)).isoformat()
    response = staff_client.get(URL, {"start": start, "end": today.isoformat()})

    by_day = dashboard_table(response, "wechat-source-by-day")
    assert by_day.columns == ["日期", "会话", "朋友圈"]
    assert by_day.rows == [
        [(today - timedelta(days=2)).isoformat(), 0, 5],
        [(today - timedelta(days=1)).isoformat(), 7, 40],
        [today.isoformat(), 0, 0],
    ]
    stored = sum(WeChatReadSource.objects.values_list("int_page_read_count", flat=True))
    assert sum(sum(row[1:]) for row in by_day.rows) == stored


def test_follower_growth_is_charted(staff_client):
    from django.apps import apps

    if not apps.is_installed("audience"):
        pytest.skip("the audience app is not installed")
    counts = apps.get_model("audience", "FollowerDailyCount")
    counts.objects.create(day=timezone.localdate() - timedelta(days=2), total=900, new=9)
    counts.objects.create(day=timezone.localdate() - timedelta(days=1), total=950, new=50)

    response = staff_client.get(URL, {"days": 7})

    assert "<svg" in block(response, "followers-by-day")["extra_chart"]


def block(response, slug):
    for _heading, blocks in response.context["sections"]:
        for entry in blocks:
            if entry["table"].slug == slug:
                return entry
    raise KeyError(slug)


@pytest.fixture
def queries_for(staff_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        return len(captured)

    return count


def test_the_query_count_does_not_grow_with_the_range_or_the_pushes(pushed, queries_for):
    few = queries_for(f"{URL}?days=7")
    for n in range(5):
        article = ArticleFactory()
        sent_push(article, days_ago=n + 10, msg_data_id=f"90{n}")
        wechat_day(n + 9, {"msgid": f"90{n}_1", "int_page_read_count": 3})
        page_views(article, days_ago=n + 9, views=2)
        wechat_day(n + 9, {"user_source": 1, "int_page_read_count": 3})

    assert queries_for(f"{URL}?days=365") == few
