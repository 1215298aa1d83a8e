"""What a visitor sees when a request fails (DEBUG off, as in production): the site's own
Chinese pages (core/errors.py, templates/4xx.html and 500.html), not Django's English text.
"""

import pytest
from django.test import Client

DJANGO_ENGLISH = ("Not Found", "Server Error", "Bad Request", "Forbidden", "CSRF verification")


def assert_site_page(response, status: int, heading: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert heading in html
    assert 'class="site-header"' in html  # in the site's frame, with its menu
    assert not [text for text in DJANGO_ENGLISH if text in html]
    return html


@pytest.mark.django_db
def test_unknown_address_shows_the_chinese_404_page(client):
    response = client.get("/no-such-page/")
    assert_site_page(response, 404, "页面不存在")


@pytest.mark.django_db
def test_unpublished_news_shows_the_chinese_404_page(client):
    from tests.factories import ArticleFactory

    draft = ArticleFactory()
    response = client.get(f"/news/{draft.pk}/")
    assert_site_page(response, 404, "页面不存在")


def test_error_in_a_view_shows_the_chinese_500_page_without_the_database(client, monkeypatch):
    """No `db` fixture: the page is rendered with the database blocked, as when it is down."""

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("alumni_cms.views.articles_published", broken)
    client.raise_request_exception = False
    response = client.get("/")
    assert_site_page(response, 500, "服务器出了点问题")


def test_host_not_allowed_shows_the_chinese_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert_site_page(response, 400, "无法处理此请求")


@pytest.mark.django_db
def test_admin_page_refused_to_its_user_shows_the_chinese_403_page(admin_client):
    # No one may add audit entries by hand: the admin raises PermissionDenied.
    response = admin_client.get("/admin/editorial/auditentry/add/")
    assert_site_page(response, 403, "您无权打开此页面")


@pytest.mark.django_db
def test_form_sent_without_csrf_token_shows_the_chinese_expired_form_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/liaison/login/", {"username": "liaison", "password": "x"})
    assert_site_page(response, 403, "表单已过期")


@pytest.mark.django_db
def test_error_pages_speak_english_to_a_visitor_who_chose_it(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_server_error_page_falls_back_to_plain_chinese_when_its_template_fails(rf, monkeypatch):
    from core import errors

    def broken(name):
        raise RuntimeError("the template engine is broken too")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    response = errors.server_error(rf.get("/"))
    assert response.status_code == 500
    assert "服务器出了点问题" in response.content.decode()
