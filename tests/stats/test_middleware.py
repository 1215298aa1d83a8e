import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from stats.models import DailyViews
from stats.services import views_flush
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
)

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"


def views_of(item) -> int:
    views_flush()
    rows = DailyViews.objects.filter(
        content_type=ContentType.objects.get_for_model(item), object_id=item.pk
    )
    return sum(row.views for row in rows)


@pytest.mark.parametrize(
    "factory", [ArticleFactory, ActivityFactory, DonationProjectFactory, AlumniProfileFactory]
)
def test_a_public_detail_page_view_is_counted(view_cache, client, factory):
    item = factory(state="published", created_by=None)

    response = client.get(item.get_absolute_url(), HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 200
    assert views_of(item) == 1


def test_a_page_that_is_not_found_is_not_counted(view_cache, client):
    draft = ArticleFactory(created_by=None)

    response = client.get(draft.get_absolute_url(), HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 404
    assert views_of(draft) == 0


def test_a_head_request_is_not_counted(view_cache, client):
    article = ArticleFactory(state="published", created_by=None)

    client.head(article.get_absolute_url(), HTTP_USER_AGENT=BROWSER)

    assert views_of(article) == 0


def test_a_prefetch_is_not_counted(view_cache, client):
    article = ArticleFactory(state="published", created_by=None)

    client.get(article.get_absolute_url(), HTTP_USER_AGENT=BROWSER, HTTP_SEC_PURPOSE="prefetch")

    assert views_of(article) == 0


def test_a_list_page_is_not_counted(view_cache, client):
    article = ArticleFactory(state="published", created_by=None)

    client.get(reverse("articles:list"), HTTP_USER_AGENT=BROWSER)

    assert views_of(article) == 0


def test_a_crawler_is_not_counted(view_cache, client):
    article = ArticleFactory(state="published", created_by=None)

    client.get(article.get_absolute_url(), HTTP_USER_AGENT="Mozilla/5.0 (compatible; bingbot/2.0)")

    assert views_of(article) == 0


def test_nothing_is_counted_when_counting_is_off(view_cache, client, settings):
    settings.STATS_COUNT_VIEWS = False
    article = ArticleFactory(state="published", created_by=None)

    client.get(article.get_absolute_url(), HTTP_USER_AGENT=BROWSER)

    assert views_of(article) == 0


def test_visitors_behind_the_proxy_are_told_apart_by_the_forwarded_address(
    view_cache, client, settings
):
    settings.STATS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    article = ArticleFactory(state="published", created_by=None)

    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.2"):
        client.get(
            article.get_absolute_url(),
            HTTP_USER_AGENT=BROWSER,
            HTTP_X_FORWARDED_FOR=f"203.0.113.9, {address}",
        )

    assert views_of(article) == 2


def test_a_broken_cache_does_not_break_the_page(view_cache, client, monkeypatch):
    def down(**kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("stats.services.view_record", down)
    article = ArticleFactory(state="published", created_by=None)

    response = client.get(article.get_absolute_url(), HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 200
