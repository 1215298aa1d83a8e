"""The public search page: /search/?q=…, the header's box, results, filters, pages, bad input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial.models import State
from search import views
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("search:results")


def _published(factory=ArticleFactory, *, days_ago=0, **kwargs):
    return factory(
        state=State.PUBLISHED, published_at=timezone.now() - timedelta(days=days_ago), **kwargs
    )


def _page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", ["home", "articles:list", "activities:list", "search:results"])
def test_every_public_page_has_the_search_box(client, name):
    html = client.get(reverse(name)).content.decode()
    assert f'<form class="site-search" role="search" action="{URL}"' in html


def test_a_result_shows_its_kind_title_snippet_date_and_link(client):
    article = ArticleFactory(
        state=State.PUBLISHED,
        title="校友返校日通知",
        body="<p>今年的返校日定在五月，欢迎各届校友回家看看。</p>",
        published_at=timezone.now().replace(year=2026, month=5, day=4, hour=12),
    )
    html = _page(client, q="返校日")
    assert f'href="{article.get_absolute_url()}"' in html
    assert '<span class="tag">新闻</span>' in html
    assert "<h3>校友<mark>返校日</mark>通知</h3>" in html
    assert "今年的<mark>返校日</mark>定在五月" in html
    assert ">2026-05-04</time>" in html
    assert "“返校日”共找到 1 条结果" in html


def test_script_in_the_content_is_escaped_before_marking(client):
    _published(
        title="校庆<script>alert(1)</script>", body="<p>&lt;script&gt;x()&lt;/script&gt;校庆</p>"
    )
    html = _page(client, q="校庆")
    assert "<script>alert(1)" not in html
    assert "<script>x()" not in html
    assert "<mark>校庆</mark>&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_script_in_the_query_is_escaped_everywhere(client):
    _published(title="script 校庆")
    html = _page(client, q="<script>alert(1)</script> 校庆")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_results_are_paginated(client):
    for day in range(25):
        _published(title=f"校友讲座第{day}期", days_ago=day, author="")
    first, third = _page(client, q="讲座"), _page(client, q="讲座", page=3)
    assert first.count('class="search-hit"') == views.RESULTS_PER_PAGE
    assert "第 1 页，共 3 页" in first
    assert third.count('class="search-hit"') == 5
    assert '<ol class="card search-results" start="21">' in third


def test_the_kind_filter_counts_each_kind_and_shows_one(client):
    _published(ArticleFactory, title="图书馆新闻")
    _published(ArticleFactory, title="图书馆再出发")
    _published(DonationProjectFactory, title="图书馆改造基金")
    html = _page(client, q="图书馆")
    assert "全部 3</a>" in html
    assert "新闻 2</a>" in html
    assert "捐赠项目 1</a>" in html
    only = _page(client, q="图书馆", kind="donationproject")
    assert only.count('class="search-hit"') == 1
    assert "<mark>图书馆</mark>改造基金" in only


def test_an_unknown_kind_shows_every_kind(client):
    _published(title="图书馆新闻")
    assert _page(client, q="图书馆", kind="nonsense").count('class="search-hit"') == 1


def test_no_results_says_so(client):
    _published(title="图书馆新闻")
    assert "没有找到与“天文台”相关的内容" in _page(client, q="天文台")


def test_an_empty_query_asks_for_a_word(client):
    assert "请输入要搜索的词" in _page(client, q="   ")
    assert "请输入要搜索的词" in _page(client)


def test_a_too_long_query_is_refused_with_a_message(client):
    html = _page(client, q="校" * 500)
    assert "搜索词太长：最多 50 个字" in html
    assert 'class="search-hit"' not in html


@pytest.mark.parametrize(
    "query",
    [
        "%",
        '"',
        "*",
        "OR",
        "AND NOT",
        "NEAR(a b)",
        "{title_tokens}:x",
        "a:*",
        "'",
        "\\",
        "' OR 1=1 --",
        "😀",
        "😀校庆😀",
        "校庆 & | ! <->",
        "title_tokens:校庆",
        "^校庆",
        "Ⅻ ① ﬁ ǅ",
        "สวัสดีครับ",
        "مرحبا",
        "こんにちは カタカナ",
        "한국어 검색",
        "a" * 45,
        "e\u0301t\u0301e\u0301",
        "\u200b\ufeff",
    ],
)
def test_odd_queries_never_fail(client, query):
    _published(title="校庆 or and not near")
    assert client.get(URL, {"q": query}).status_code == 200


def test_symbols_alone_get_a_message(client):
    assert "无法按这些符号搜索" in _page(client, q="%*\"'😀")


def test_a_null_character_gets_the_bad_request_page(client):
    response = client.get(URL, {"q": "校庆\x00"})
    assert response.status_code == 400


def _every_kind(n):
    for i in range(n):
        _published(ArticleFactory, title=f"图书馆新闻{i}", days_ago=i)
        _published(ActivityFactory, title=f"图书馆活动{i}", days_ago=i)
        _published(AlumniProfileFactory, title=f"图书馆人物{i}", days_ago=i)
        _published(DonationProjectFactory, title=f"图书馆基金{i}", days_ago=i)


def test_a_page_costs_the_same_queries_however_many_results(client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _every_kind(1)
    client.get(URL, {"q": "图书馆"})  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"q": "图书馆"})
    _every_kind(10)
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(URL, {"q": "图书馆"}).content.decode()
    assert html.count('class="search-hit"') == views.RESULTS_PER_PAGE
    # Counts by kind, the page, its items' public rows (one query for every kind); on
    # PostgreSQL each of the first two in a transaction of its own (search.selectors._index_scan).
    selects = [
        q for q in few.captured_queries if q["sql"].lstrip("( ").upper().startswith("SELECT")
    ]
    assert len(selects) == 3


def test_search_pages_are_not_kept_in_the_page_cache(client, settings):
    settings.STATS_PAGE_CACHE_SECONDS = 60
    _published(title="图书馆新闻")
    response = client.get(URL, {"q": "图书馆"})
    assert "no-cache" in response["Cache-Control"]
    _published(title="图书馆新馆开放")
    assert _page(client, q="图书馆").count('class="search-hit"') == 2


def test_search_operators_typed_by_a_person_are_plain_words(client):
    _published(title="校庆新闻")
    _published(title="图书馆新闻")
    assert 'class="search-hit"' not in _page(client, q="校庆 OR 图书馆")
    assert 'class="search-hit"' not in _page(client, q="新闻 NOT 校庆")


def test_a_kind_that_is_not_a_kind_never_reaches_the_query(client):
    _published(title="图书馆新闻")
    html = _page(client, q="图书馆", kind='article" OR "x')
    assert html.count('class="search-hit"') == 1


def test_the_page_speaks_english_when_asked(client):
    _published(title="图书馆新闻")
    html = client.get(URL, {"q": "图书馆"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 result for “图书馆”" in html
    assert "News article 1</a>" in html


def test_a_traditional_query_finds_and_marks_simplified_text(client):
    _published(title="北京校友会年会", body="<p>校友会的朋友们好。</p>")
    html = _page(client, q="校友會")
    assert "<h3>北京<mark>校友会</mark>年会</h3>" in html
    assert "“校友會”共找到 1 条结果" in html
