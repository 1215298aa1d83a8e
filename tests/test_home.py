import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from editorial.models import State
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    BranchFactory,
    DonationProjectFactory,
    GiftFactory,
)

pytestmark = pytest.mark.django_db


PUBLISHED = State.PUBLISHED


def _one_of_each(state):
    return {
        "article": ArticleFactory(state=state, title="校庆新闻"),
        "activity": ActivityFactory(state=state, title="北京校友聚会"),
        "profile": AlumniProfileFactory(state=state, title="工程师的故事", subject_name="李明"),
        "project": DonationProjectFactory(state=state, title="图书馆捐书"),
    }


def _some_of_each(count):
    ArticleFactory.create_batch(count, state=PUBLISHED)
    ActivityFactory.create_batch(count, state=PUBLISHED)
    AlumniProfileFactory.create_batch(count, state=PUBLISHED)
    for project in DonationProjectFactory.create_batch(count, state=PUBLISHED):
        GiftFactory(project=project)


def test_home_shows_published_items_of_every_module(client):
    _one_of_each(PUBLISHED)

    page = client.get(reverse("home")).content.decode()

    for title in ("校庆新闻", "北京校友聚会", "李明", "图书馆捐书"):
        assert title in page


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.APPROVED, State.WITHDRAWN])
def test_home_hides_unpublished_items(client, state):
    _one_of_each(state)

    page = client.get(reverse("home")).content.decode()

    for title in ("校庆新闻", "北京校友聚会", "李明", "图书馆捐书"):
        assert title not in page


def test_home_lists_the_six_latest_news(client):
    articles = ArticleFactory.create_batch(7, state=PUBLISHED)

    response = client.get(reverse("home"))

    assert [a.pk for a in response.context["articles"]] == [a.pk for a in articles[:0:-1]]


def test_home_lists_the_four_soonest_activities_that_are_not_over(client):
    now = timezone.now()
    ActivityFactory(
        state=PUBLISHED,
        starts_at=now - timezone.timedelta(days=3),
        ends_at=now - timezone.timedelta(days=2),
        signup_deadline=None,
    )
    soon = [
        ActivityFactory(state=PUBLISHED, starts_at=now + timezone.timedelta(days=days))
        for days in (9, 2, 5, 7, 30)
    ]

    response = client.get(reverse("home"))

    assert [a.pk for a in response.context["activities"]] == [
        soon[1].pk,
        soon[2].pk,
        soon[3].pk,
        soon[0].pk,
    ]


def test_home_shows_donation_progress(client):
    project = DonationProjectFactory(state=PUBLISHED, goal="1000.00")
    GiftFactory(project=project, amount="250.00")

    page = client.get(reverse("home")).content.decode()

    assert "width: 25.00%" in page
    assert "¥250" in page


def test_home_runs_as_many_queries_for_20_items_per_module_as_for_2(
    client, queries_for, django_assert_num_queries
):
    _some_of_each(2)
    expected = queries_for(reverse("home"))
    _some_of_each(18)

    with django_assert_num_queries(expected):
        client.get(reverse("home"))


def test_home_names_the_branch_of_liaison_news_without_a_query_per_item(
    client, queries_for, django_assert_num_queries
):
    ArticleFactory(state=PUBLISHED, department=None, branch=BranchFactory(name="上海校友会"))
    expected = queries_for(reverse("home"))
    for name in ("深圳校友会", "成都校友会"):
        ArticleFactory(state=PUBLISHED, department=None, branch=BranchFactory(name=name))

    with django_assert_num_queries(expected):
        page = client.get(reverse("home")).content.decode()

    assert "上海校友会" in page
    assert "成都校友会" in page


def test_home_speaks_chinese_by_default(client):
    page = client.get(reverse("home")).content.decode()

    assert '<html lang="zh-hans">' in page
    assert "近期活动" in page


def test_home_speaks_english_when_the_browser_asks(client):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in page
    assert "Upcoming activities" in page
    assert "近期活动" not in page


def test_home_speaks_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("home")).content.decode()

    assert "Upcoming activities" in page


def test_language_switcher_in_the_footer_switches_to_english(client):
    page = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("set_language")}"' in page

    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert "Upcoming activities" in client.get(reverse("home")).content.decode()


def test_news_pages_carry_no_csrf_token_and_set_no_cookie(client):
    article = ArticleFactory(state=State.PUBLISHED, created_by=None)

    for url in (reverse("articles:list"), reverse("articles:detail", args=[article.pk])):
        response = client.get(url)
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies


def test_the_language_buttons_work_without_a_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("set_language"), {"language": "en", "next": "/news/"})

    assert response.status_code == 302
    assert response["Location"] == "/news/"
    assert "Campus news" in client.get("/news/").content.decode()
