"""Querysets compiled once and run with new values (alumni_cms.prepared)."""

import threading
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

from alumni_cms.prepared import PreparedQuery
from articles.models import Article
from editorial.models import State
from tests.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def published_in(category_id):
    return Article.objects.published().select_related("category").filter(category_id=category_id)


def in_category():
    return PreparedQuery(published_in, "category_id")


def article(category, day, **fields):
    return ArticleFactory(
        state=State.PUBLISHED,
        category=category,
        created_by=None,
        published_at=datetime(2026, 11, day, 9, 30, tzinfo=SHANGHAI),
        **fields,
    )


def test_rows_match_the_querysets_for_each_value():
    news, sports = CategoryFactory(name="校园新闻"), CategoryFactory(name="体育")
    for day in (3, 5, 4):
        article(news, day)
    article(sports, 6)
    query = in_category()

    for category in (news, sports):
        rows = query(category_id=category.pk)
        expected = list(published_in(category.pk))
        assert [row.pk for row in rows] == [row.pk for row in expected]
        assert [row.published_at for row in rows] == [row.published_at for row in expected]


def test_related_objects_of_select_related_come_without_more_queries(django_assert_num_queries):
    news = CategoryFactory(name="校园新闻")
    article(news, 3)
    query = in_category()

    with django_assert_num_queries(1):
        rows = query(category_id=news.pk)
        assert rows[0].category.name == "校园新闻"


def test_datetimes_come_back_as_the_stored_aware_moment():
    news = CategoryFactory()
    article(news, 3)

    [row] = in_category()(category_id=news.pk)

    assert row.published_at == datetime(2026, 11, 3, 9, 30, tzinfo=SHANGHAI)
    assert row.published_at.tzinfo is not None


def test_deferred_fields_stay_deferred():
    news = CategoryFactory()
    article(news, 3, title="标题")
    query = PreparedQuery(lambda pk: Article.objects.only("title").filter(pk=pk), "pk")
    [only] = Article.objects.all()

    [row] = query(pk=only.pk)

    assert row.title == "标题"
    assert row.get_deferred_fields() >= {"body", "digest"}


def test_compiles_once_however_often_it_runs():
    news = CategoryFactory()
    article(news, 3)
    query = in_category()

    spy = mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)
    with spy as as_sql:
        for _ in range(5):
            assert len(query(category_id=news.pk)) == 1
        compiled = as_sql.call_count
        query(category_id=news.pk + 1)

    assert compiled == 2  # the rows and the count, once
    assert as_sql.call_count == compiled


def test_limit_and_offset_slice_in_sql():
    news = CategoryFactory()
    for day in range(1, 8):
        article(news, day)

    rows = in_category()(limit=3, offset=2, category_id=news.pk)

    assert [row.published_at.day for row in rows] == [5, 4, 3]


def test_count_counts_the_rows_of_the_value():
    news, sports = CategoryFactory(), CategoryFactory()
    for day in range(1, 6):
        article(news, day)
    article(sports, 6)

    assert in_category().count(category_id=news.pk) == 5


def test_a_paginator_pages_through_the_rows():
    news = CategoryFactory()
    for day in range(1, 8):
        article(news, day)

    page = Paginator(in_category().pages(category_id=news.pk), 3).get_page(3)

    assert page.paginator.num_pages == 3
    assert [row.published_at.day for row in page] == [1]


def test_first_gives_none_when_nothing_matches():
    query = PreparedQuery(lambda pk: Article.objects.filter(pk=pk), "pk")

    assert query.first(pk=123456) is None


def test_a_parameter_the_queryset_ignores_is_refused():
    query = PreparedQuery(lambda pk: Article.objects.all(), "pk")

    with pytest.raises(ImproperlyConfigured, match="'pk'"):
        query(pk=1)


def test_a_value_that_is_not_an_integer_is_refused():
    with pytest.raises(TypeError, match="integer"):
        in_category()(category_id="1 OR 1=1")


def test_a_missing_value_is_refused():
    with pytest.raises(TypeError, match="category_id"):
        in_category()()


def test_a_sliced_queryset_is_refused():
    query = PreparedQuery(lambda: Article.objects.all()[:3])

    with pytest.raises(ImproperlyConfigured, match="limit"):
        query()


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_it_on_its_own_connection():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite database is not shared between threads")
    news = CategoryFactory()
    article(news, 3)
    query = in_category()
    query(category_id=news.pk)
    found = []

    def read():
        try:
            found.append(len(query(category_id=news.pk)))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()

    assert found == [1]
    assert len(query._compiled) == 2
