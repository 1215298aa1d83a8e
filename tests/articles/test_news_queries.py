"""The news pages' queries: plain querysets, a fixed number per page, no needless joins."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.selectors import article_published, articles_newest, articles_to_page
from editorial.models import State
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BranchFactory,
    CategoryFactory,
    DepartmentFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def published(category=None, day=1, **fields):
    return ArticleFactory(
        state=State.PUBLISHED,
        category=category,
        created_by=None,
        published_at=datetime(2026, 11, day, 9, 30, tzinfo=SHANGHAI),
        **fields,
    )


def test_the_news_lists_count_query_joins_no_other_table(client):
    campus = CategoryFactory(slug="campus")
    published(campus, department=DepartmentFactory(), branch=BranchFactory())

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("articles:list"), {"category": "campus"})

    [count] = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "JOIN" not in count.upper()


def test_a_paginator_counts_and_pages_only_the_categorys_published_articles():
    news, sports = CategoryFactory(), CategoryFactory()
    for day in range(1, 8):
        published(news, day)
    published(sports, 9)
    ArticleFactory(state=State.DRAFT, category=news)

    page = Paginator(articles_to_page(category_id=news.pk), 3).get_page(3)

    assert page.paginator.count == 7
    assert page.paginator.num_pages == 3
    assert [row.published_at.day for row in page] == [1]


def test_list_rows_carry_the_names_they_show_without_more_queries(django_assert_num_queries):
    department, branch = DepartmentFactory(name="宣传部"), BranchFactory(name="上海校友会")
    published(CategoryFactory(name="校园新闻"), department=department, branch=branch)

    with django_assert_num_queries(1):
        [row] = articles_to_page()[0:20]
        names = (row.category_name, row.department_name, row.branch_name)

    assert names == ("校园新闻", "宣传部", "上海校友会")


def test_the_detail_query_brings_the_names_and_the_aware_publication_time(
    django_assert_num_queries,
):
    article = published(CategoryFactory(name="校园新闻"), 3, department=DepartmentFactory())

    with django_assert_num_queries(1):
        found = article_published(pk=article.pk)
        shown = (found.category.name, found.department.name)

    assert shown == ("校园新闻", article.department.name)
    assert found.published_at == datetime(2026, 11, 3, 9, 30, tzinfo=SHANGHAI)


def test_the_detail_query_finds_no_unpublished_article():
    draft = ArticleFactory(state=State.DRAFT)

    assert article_published(pk=draft.pk) is None


def test_more_news_is_one_query_however_many_there_are(django_assert_num_queries):
    campus = CategoryFactory()
    for day in range(1, 12):
        published(campus, day)

    with django_assert_num_queries(1):
        more = articles_newest(category_id=campus.pk, count=3)

    assert [row.published_at.day for row in more] == [11, 10, 9]


@pytest.mark.parametrize("url", ["/", "/news/", "/activities/", "/donations/", "/alumni/"])
def test_a_public_list_page_runs_as_many_queries_for_12_items_as_for_2(
    client, queries_for, django_assert_num_queries, url
):
    from tests.factories import ActivityFactory, AlumniProfileFactory, DonationProjectFactory

    factories = (ArticleFactory, ActivityFactory, DonationProjectFactory, AlumniProfileFactory)
    for factory in factories:
        factory.create_batch(2, state=State.PUBLISHED, created_by=None)
    expected = queries_for(url)
    for factory in factories:
        factory.create_batch(10, state=State.PUBLISHED, created_by=None)

    with django_assert_num_queries(expected):
        client.get(url)


def test_photos_come_in_one_query_however_many(client, queries_for, django_assert_num_queries):
    article = published(CategoryFactory())
    ArticlePhotoFactory.create_batch(2, article=article)
    expected = queries_for(article.get_absolute_url())
    ArticlePhotoFactory.create_batch(10, article=article)

    with django_assert_num_queries(expected):
        client.get(article.get_absolute_url())
