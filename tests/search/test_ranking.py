"""What a search finds and in which order: Chinese words of any length, Latin words, ranking."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from editorial.models import State
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
)

pytestmark = pytest.mark.django_db


def _published(factory=ArticleFactory, *, days_ago=0, **kwargs):
    return factory(
        state=State.PUBLISHED, published_at=timezone.now() - timedelta(days=days_ago), **kwargs
    )


@pytest.fixture
def corpus():
    # The factory's author (校友办) is searchable too: these name another.
    _published(title="北京大学校友返校日", body="<p>欢迎各位校友。</p>", author="编辑部")
    _published(title="清华园里的春天", body="<p>图书馆前的玉兰开了。</p>", author="编辑部")
    _published(title="学术报告会", body="<p>人工智能与大数据。</p>", author="编辑部")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("校友", ["北京大学校友返校日"]),  # two characters
        ("返校日", ["北京大学校友返校日"]),  # three
        ("北京大学", ["北京大学校友返校日"]),  # four
        ("玉兰", ["清华园里的春天"]),  # in the body
        ("人工智能", ["学术报告会"]),
    ],
)
def test_chinese_words_of_two_to_four_characters_are_found(corpus, found, query, expected):
    assert found(query) == expected


def test_a_word_is_found_only_where_its_characters_follow_each_other(corpus, found):
    # 北, 大 and 学 are all in the first title, but not as 北大学.
    assert found("北大学") == []
    assert found("京大学") == ["北京大学校友返校日"]


def test_a_single_character_is_found_anywhere_in_a_word(corpus, found):
    assert sorted(found("学")) == ["北京大学校友返校日", "学术报告会"]
    assert found("兰") == ["清华园里的春天"]  # the last character of its run
    assert found("校") == ["北京大学校友返校日"]


def test_every_word_of_the_query_must_be_found(corpus, found):
    assert found("校友 春天") == []
    assert found("校友 欢迎") == ["北京大学校友返校日"]


def test_latin_words_are_found_whatever_their_case(found):
    _published(title="AI 创新大赛", body="<p>主办：Python 协会</p>")
    assert found("ai") == ["AI 创新大赛"]
    assert found("PYTHON") == ["AI 创新大赛"]
    assert found("Ｐｙｔｈｏｎ") == ["AI 创新大赛"]  # full-width letters


def test_title_matches_come_before_text_matches(found):
    _published(title="新闻一则", body="<p>" + "奖学金" * 20 + "</p>", days_ago=0)
    _published(title="奖学金颁发仪式", body="<p>仪式举行。</p>", days_ago=30)
    assert found("奖学金") == ["奖学金颁发仪式", "新闻一则"]


def test_newer_items_come_first_when_they_match_alike(found):
    _published(title="校友年会（二〇二四）", days_ago=400)
    _published(title="校友年会（二〇二六）", days_ago=3)
    _published(title="校友年会（二〇二五）", days_ago=40)
    assert found("年会") == ["校友年会（二〇二六）", "校友年会（二〇二五）", "校友年会（二〇二四）"]


def test_all_four_kinds_are_searched_and_can_be_filtered(found):
    _published(ArticleFactory, title="图书馆新闻")
    _published(ActivityFactory, title="图书馆开放日")
    _published(AlumniProfileFactory, title="图书馆的守望者")
    _published(DonationProjectFactory, title="图书馆改造基金")
    assert len(found("图书馆")) == 4
    assert found("图书馆", kind="donationproject") == ["图书馆改造基金"]
    assert found("图书馆", kind="activity") == ["图书馆开放日"]


def test_a_profile_is_found_by_the_name_of_its_alumnus(found):
    _published(AlumniProfileFactory, title="扎根西部三十年", subject_name="欧阳建国")
    assert found("欧阳建国") == ["扎根西部三十年"]


def test_an_activity_is_found_by_its_digest(found):
    _published(ActivityFactory, title="秋季联谊", digest="在深圳湾举办")
    assert found("深圳湾") == ["秋季联谊"]


def test_an_activity_is_found_by_its_place(found):
    _published(ActivityFactory, title="秋季联谊", place="杭州西溪湿地")
    assert found("西溪") == ["秋季联谊"]


def test_a_text_that_says_the_word_more_often_comes_first(found):
    _published(title="春季通讯", body="<p>本期提到一次奖学金。" + "其他消息。" * 20 + "</p>")
    _published(title="秋季通讯", body="<p>奖学金评审、奖学金发放、奖学金答谢会。</p>", days_ago=30)
    assert found("奖学金") == ["秋季通讯", "春季通讯"]


def test_past_the_rank_limit_text_matches_come_newest_first(found, monkeypatch):
    monkeypatch.setattr("search.selectors.RANK_LIMIT", 1)
    _published(title="春季通讯", body="<p>本期提到一次奖学金。" + "其他消息。" * 20 + "</p>")
    _published(title="秋季通讯", body="<p>奖学金评审、奖学金发放、奖学金答谢会。</p>", days_ago=30)
    _published(title="奖学金名单", days_ago=60)
    assert found("奖学金") == ["奖学金名单", "春季通讯", "秋季通讯"]


def test_each_term_reaches_the_database_quoted_as_a_plain_word(found):
    """Terms are letters and digits, and each is quoted for the database too: even one spelt
    like an operator is a word to look for."""
    from search.selectors import SearchResults
    from search.text import Term

    _published(title="Rock OR Roll 音乐节", author="编辑部")
    hits = SearchResults([Term("OR", ("OR",))])[0:10]
    assert [str(hit.title) for hit in hits] == ["Rock <mark>OR</mark> Roll 音乐节"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_a_search_inside_a_transaction_leaves_the_planner_as_it_was(found):
    _published(title="图书馆新闻")
    assert found("图书馆") == ["图书馆新闻"]  # the test runs inside a transaction
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


def test_a_query_in_traditional_characters_finds_simplified_text(found):
    _published(title="上海校友会年会", body="<p>欢迎参加。</p>")
    _published(title="学术报告会", body="<p>人工智能。</p>")
    assert found("校友會") == ["上海校友会年会"]


def test_a_query_in_simplified_characters_finds_traditional_text(found):
    _published(DonationProjectFactory, title="香港校友獎學金", digest="歡迎各位校友捐贈。")
    assert found("捐赠") == ["香港校友獎學金"]
    assert found("奖学金") == ["香港校友獎學金"]


def test_traditional_and_simplified_spellings_find_the_same_items(found):
    _published(title="台湾校友会成立", days_ago=1)
    _published(title="臺灣校友會迎新", days_ago=2)
    assert found("台灣校友會") == found("台湾校友会") == ["台湾校友会成立", "臺灣校友會迎新"]
