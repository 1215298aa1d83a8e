from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from editorial.models import State
from tests.factories import ArticleFactory, BranchFactory, EditorFactory

pytestmark = pytest.mark.django_db


def _articles(count):
    # Each with its own author, category, department and branch: the columns show all four.
    for n in range(count):
        ArticleFactory(
            branch=BranchFactory(),
            created_by=EditorFactory(),
            state=State.PUBLISHED if n % 2 else State.SUBMITTED,
        )


URL = "admin:articles_article_changelist"


def test_article_changelist_query_count_does_not_grow_with_the_list(
    admin_client, django_assert_num_queries
):
    _articles(2)
    admin_client.get(reverse(URL))  # warm per-process caches (content types) outside the count
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse(URL))
    _articles(10)
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(reverse(URL))
    assert len(response.context["cl"].result_list) == 12


def test_article_search_finds_by_author(admin_client):
    ArticleFactory(author="宣传部", title="找到我")
    ArticleFactory(author="团委", title="别找到")
    response = admin_client.get(reverse(URL), {"q": "宣传部"})
    assert [a.title for a in response.context["cl"].result_list] == ["找到我"]


def test_article_list_names_the_creator_and_when_it_is_due(admin_client):
    editor = EditorFactory(first_name="晓舟", last_name="林")
    due = datetime(2026, 12, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    ArticleFactory(created_by=editor, state=State.SCHEDULED, publish_at=due)
    page = admin_client.get(reverse(URL)).content.decode()
    assert '<td class="field-editor_name">林晓舟</td>' in page
    assert '<span class="quiet">定于 2026年12月24日 09:30</span>' in page


def test_article_list_shows_a_liaisons_branch_as_the_source(admin_client):
    ArticleFactory(department=None, branch=BranchFactory(name="北京校友会"))
    page = admin_client.get(reverse(URL)).content.decode()
    assert '<td class="field-source">北京校友会</td>' in page
