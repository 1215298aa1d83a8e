"""Whole-page caching of public pages for anonymous visitors (core.pagecache)."""

import re

import pytest
from django.contrib.auth import get_user_model

from articles.models import Article
from editorial.models import State
from editorial.services import item_publish, item_withdraw
from stats.models import DailyViews
from stats.services import views_flush
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    ArticlePhotoFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 MicroMessenger/8.0.47"


@pytest.fixture
def page_cache(view_cache, settings):
    """The whole-page cache on, in the test's own cache (see view_cache)."""
    settings.STATS_PAGE_CACHE_SECONDS = 60
    return view_cache


def published(**fields):
    return ArticleFactory(state=State.PUBLISHED, created_by=None, **fields)


def test_a_second_anonymous_visit_is_served_without_queries(
    client, page_cache, django_assert_num_queries
):
    article = published(title="校庆回顾")
    client.get(f"/news/{article.pk}/")

    with django_assert_num_queries(0):
        response = client.get(f"/news/{article.pk}/")

    assert "校庆回顾" in response.content.decode()


def test_an_edit_is_shown_at_once(client, page_cache):
    article = published(title="校庆回顾")
    client.get("/news/")
    article.title = "校庆回顾（更新）"
    article.save()

    assert "校庆回顾（更新）" in client.get("/news/").content.decode()


def test_a_withdrawn_item_leaves_the_cached_list(
    client, page_cache, reviewer, django_capture_on_commit_callbacks
):
    article = published(title="将撤回的新闻")
    assert "将撤回的新闻" in client.get("/news/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        item_withdraw(item=article, by=reviewer, reason="错误")

    assert "将撤回的新闻" not in client.get("/news/").content.decode()


def test_a_sign_up_updates_the_cached_activity_page(client, page_cache):
    activity = ActivityFactory(state=State.PUBLISHED, created_by=None, capacity=10)
    before = client.get(f"/activities/{activity.pk}/").content.decode()
    RegistrationFactory(activity=activity)

    assert client.get(f"/activities/{activity.pk}/").content.decode() != before


def test_each_visitor_gets_their_own_csrf_token_from_a_cached_page(page_cache):
    from django.test import Client

    activity = ActivityFactory(state=State.PUBLISHED, created_by=None, capacity=10)
    url = f"/activities/{activity.pk}/"
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(url)

    response = second.get(url)

    page = response.content.decode()
    assert "\x00" not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    posted = second.post(url, {"csrfmiddlewaretoken": token, "name": ""})
    assert posted.status_code == 200  # the sign-up form's own errors, not CSRF's 403


def test_languages_are_cached_apart(client, page_cache):
    article = published()
    client.get(f"/news/{article.pk}/")

    english = client.get(f"/news/{article.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="en">' in english.content.decode()


def test_signed_in_users_are_not_served_cached_pages(client, page_cache, django_assert_num_queries):
    article = published(title="校庆回顾")
    client.get(f"/news/{article.pk}/")
    client.force_login(get_user_model().objects.create(username="someone"))

    response = client.get(f"/news/{article.pk}/")

    assert response.wsgi_request.user.is_authenticated
    assert "校庆回顾" in response.content.decode()


def test_views_served_from_the_cache_are_still_counted(client, page_cache):
    article = published()
    for n in range(3):
        client.get(f"/news/{article.pk}/", HTTP_USER_AGENT=UA, REMOTE_ADDR=f"10.0.0.{n}")

    views_flush()

    assert DailyViews.objects.get(object_id=article.pk).views == 3


def test_a_publication_is_shown_at_once(
    client, page_cache, reviewer, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=State.SCHEDULED, created_by=None, title="刚刚发布的新闻")
    assert "刚刚发布的新闻" not in client.get("/news/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        item_publish(item=article, by=reviewer)

    assert "刚刚发布的新闻" in client.get("/news/").content.decode()


def test_a_new_photo_is_shown_at_once(client, page_cache):
    article = published()
    ArticlePhotoFactory(article=article, caption="第一张")
    client.get(f"/news/{article.pk}/")

    ArticlePhotoFactory(article=article, caption="新添的照片")

    assert "新添的照片" in client.get(f"/news/{article.pk}/").content.decode()


def test_an_english_page_is_not_served_to_a_chinese_visitor(client, page_cache):
    article = published()
    client.get(f"/news/{article.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    chinese = client.get(f"/news/{article.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert '<html lang="zh-hans">' in chinese.content.decode()


def test_a_refused_sign_up_is_never_shown_to_the_next_visitor(page_cache):
    from django.test import Client

    activity = ActivityFactory(state=State.PUBLISHED, created_by=None, capacity=10)
    url = f"/activities/{activity.pk}/"
    first = Client()
    first.get(url)
    refused = first.post(url, {"name": "王小明", "class_year": "", "phone": "13800138000"})
    assert "王小明" in refused.content.decode()  # the form comes back with what they typed

    page = Client().get(url).content.decode()

    assert "王小明" not in page
    assert "13800138000" not in page


def test_a_visitor_with_a_session_neither_gets_nor_leaves_a_cached_page(page_cache):
    from django.test import Client

    article = published(title="校庆回顾")
    url = f"/news/{article.pk}/"
    anonymous = Client()
    anonymous.get(url)
    article.title = "校庆回顾（更新）"
    Article.objects.filter(pk=article.pk).update(title=article.title)  # no signal: still cached
    signed_in = Client()
    signed_in.force_login(get_user_model().objects.create(username="someone"))

    assert "校庆回顾（更新）" in signed_in.get(url).content.decode()
    assert "校庆回顾（更新）" not in anonymous.get(url).content.decode()


def test_a_page_rendered_while_the_content_changed_is_not_served_afterwards(page_cache, rf):
    from django.http import HttpResponse

    from core.pagecache import cache_public_page, pages_changed

    shown = ["old"]

    @cache_public_page
    def page(request):
        html = shown[0]
        if html == "old":
            shown[0] = "new"
            pages_changed()  # an editor saves while this request is still rendering
        return HttpResponse(html)

    page(rf.get("/news/"))

    assert page(rf.get("/news/")).content == b"new"
