import pytest
from django.urls import reverse

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_urls(liaison, liaison_branch):
    article = ArticleFactory(branch=liaison_branch, created_by=liaison)
    return [
        reverse("liaison:list"),
        reverse("liaison:new"),
        reverse("liaison:detail", args=[article.pk]),
        reverse("liaison:edit", args=[article.pk]),
    ]


def test_anonymous_visitors_are_sent_to_the_portal_login(client, portal_urls):
    for url in portal_urls:
        response = client.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('liaison:login')}?next={url}"


def test_a_user_without_the_portal_permission_gets_a_friendly_403(client, editor, portal_urls):
    client.force_login(editor)

    for url in portal_urls:
        response = client.get(url)

        assert response.status_code == 403
        assert "此账号不能使用联络员投稿平台" in response.content.decode()


def test_the_login_page_is_in_chinese_and_mobile_ready(client):
    response = client.get(reverse("liaison:login"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in page
    assert 'name="viewport"' in page
    assert "登录后提交分会新闻" in page


def test_a_liaison_logs_in_and_lands_on_their_submissions(client, liaison):
    response = client.post(
        reverse("liaison:login"), {"username": "liaison", "password": "pw-for-tests-123"}
    )

    assert response.status_code == 302
    assert response.url == reverse("liaison:list")
    assert client.get(response.url).status_code == 200


def test_a_wrong_password_shows_an_error_in_chinese(client, liaison):
    response = client.post(reverse("liaison:login"), {"username": "liaison", "password": "nope"})

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_logging_out_returns_to_the_login_page(client, liaison):
    client.force_login(liaison)

    response = client.post(reverse("liaison:logout"))

    assert response.url == reverse("liaison:login")
    assert client.get(reverse("liaison:list")).status_code == 302


def test_english_is_available_on_request(client, liaison, liaison_branch):
    client.force_login(liaison)

    response = client.get(reverse("liaison:list"), HTTP_ACCEPT_LANGUAGE="en")

    assert "My submissions" in response.content.decode()
