import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import redis
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from articles.models import Article
from stats import counters
from stats.models import DailyViews
from stats.services import view_record, views_flush
from stats.tasks import views_flush_task
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 MicroMessenger/8.0.47"


def record(article, *, ip="198.51.100.1", user_agent=BROWSER, **kwargs):
    return view_record(
        model_label="articles.Article",
        object_id=article.pk,
        ip=ip,
        user_agent=user_agent,
        **kwargs,
    )


def stored(article):
    """{day: (views, visitors)} stored for `article`."""
    rows = DailyViews.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id=article.pk
    )
    return {row.day: (row.views, row.visitors) for row in rows}


@pytest.fixture
def article(db):
    return ArticleFactory(state="published", created_by=None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_views_while_flushing_give_exact_totals(redis_views):
    article = ArticleFactory(state="published", created_by=None)
    threads_count, views_each = 8, 25
    done = threading.Event()

    def reader(n):
        for i in range(views_each):
            assert record(article, ip=f"10.0.{n}.{i}")
            # The same visitor again: a repeat, never counted.
            record(article, ip=f"10.0.{n}.{i}")

    def flusher():
        try:
            while not done.is_set():
                views_flush()
        finally:
            connection.close()  # this thread's own connection

    flushing = threading.Thread(target=flusher)
    flushing.start()
    readers = [threading.Thread(target=reader, args=(n,)) for n in range(threads_count)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    done.set()
    flushing.join()
    views_flush()

    total = threads_count * views_each
    assert list(stored(article).values()) == [(total, total)]


def test_on_redis_views_reach_the_counters_only_when_flushed(redis_views, article):
    record(article)

    assert stored(article) == {}
    views_flush_task()
    assert list(stored(article).values()) == [(1, 1)]


def test_without_redis_a_view_reaches_the_counters_at_once(database_views, article):
    record(article)

    assert list(stored(article).values()) == [(1, 1)]


def test_repeat_view_within_the_window_is_not_counted(any_views, article):
    record(article)
    record(article)

    views_flush()
    assert list(stored(article).values()) == [(1, 1)]


def test_same_visitor_after_the_window_is_a_new_view_but_not_a_new_visitor(
    any_views, article, settings
):
    settings.STATS_REPEAT_WINDOW = timedelta(seconds=1)
    record(article)
    time.sleep(1.1)
    record(article)

    views_flush()
    assert list(stored(article).values()) == [(2, 1)]


def test_another_browser_on_the_same_address_is_another_visitor(any_views, article):
    record(article, user_agent=BROWSER)
    record(article, user_agent=BROWSER.replace("17_0", "16_4"))

    views_flush()
    assert list(stored(article).values()) == [(2, 2)]


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Sogou web spider/4.0",
        "curl/8.5.0",
        "Wget/1.21",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36",
    ],
)
def test_robots_are_not_counted(any_views, article, user_agent):
    assert record(article, user_agent=user_agent) is False

    views_flush()
    assert stored(article) == {}


def test_a_flush_run_twice_does_not_count_twice(redis_views, article):
    record(article, ip="198.51.100.1")
    record(article, ip="198.51.100.2")

    assert views_flush() == 1
    assert views_flush() == 0
    assert list(stored(article).values()) == [(2, 2)]


def test_a_flush_that_died_after_writing_is_not_counted_again(redis_views, article, monkeypatch):
    record(article)
    monkeypatch.setattr(counters, "release", lambda token: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        views_flush()
    monkeypatch.undo()

    views_flush()
    assert list(stored(article).values()) == [(1, 1)]


def test_a_flush_adds_to_the_counts_already_stored(any_views, article):
    DailyViews.objects.create(
        content_type=ContentType.objects.get_for_model(Article),
        object_id=article.pk,
        day=date(2025, 3, 2),
        views=5,
        visitors=4,
    )
    record(article, now=datetime(2025, 3, 2, 3, 0, tzinfo=UTC))

    views_flush()
    assert stored(article) == {date(2025, 3, 2): (6, 5)}


def test_a_view_counts_on_the_day_in_shanghai(any_views, article):
    record(article, now=datetime(2025, 3, 1, 17, 30, tzinfo=UTC))  # 01:30 on 2 March in Shanghai

    views_flush()
    assert list(stored(article)) == [date(2025, 3, 2)]


def test_the_salt_changes_from_one_day_to_the_next(view_cache):
    first = counters.day_salt(date(2025, 3, 1))
    second = counters.day_salt(date(2025, 3, 2))

    assert first != second


def test_every_process_gets_the_same_salt_for_a_day(view_cache, monkeypatch):
    first = counters.day_salt(date(2025, 3, 1))
    monkeypatch.setattr(counters, "_salts", {})  # another process: nothing remembered

    assert counters.day_salt(date(2025, 3, 1)) == first


def _everything_stored(cache) -> bytes:
    """Every byte the cache and the Redis counts hold, keys included."""
    chunks = []
    if hasattr(cache, "_dir"):
        from pathlib import Path

        chunks += [p.name.encode() + p.read_bytes() for p in Path(cache._dir).iterdir()]
    if counters.redis_url():
        client = redis.Redis.from_url(counters.redis_url())
        for key in client.scan_iter(match=f"*{cache.key_prefix}*"):
            kind = client.type(key)
            if kind == b"hash":
                value = client.hgetall(key)
            elif kind == b"set":
                value = dict.fromkeys(client.smembers(key), b"")
            else:
                value = {b"": client.get(key)}
            chunks += [key, *[k + v for k, v in value.items()]]
    return b"".join(chunks)


def test_neither_address_nor_browser_is_stored(any_views, article):
    address, agent = "203.0.113.77", "Mozilla/5.0 UniqueAgent/9.9"
    record(article, ip=address, user_agent=agent)
    record(ArticleFactory(state="published", created_by=None), ip=address, user_agent=agent)
    views_flush()
    record(article, ip=address, user_agent=agent + " again")  # not yet flushed

    everything = _everything_stored(any_views)
    rows = list(DailyViews.objects.values_list())
    assert address.encode() not in everything
    assert b"UniqueAgent" not in everything
    assert all(address not in str(row) and "UniqueAgent" not in str(row) for row in rows)
