"""Issue 12, item 9: the site has an icon; /favicon.ico is no 404 and every page links it."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db

ICON_LINK = 'rel="icon"'


def test_favicon_ico_redirects_to_an_icon_that_exists(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    static_path = response["Location"].removeprefix("/static/")
    found = finders.find(static_path)
    assert found is not None
    with open(found, "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # the ICO header


def test_the_public_pages_link_the_icon(client):
    html = client.get(reverse("home")).content.decode()
    assert ICON_LINK in html
    assert "img/favicon.svg" in html


def test_the_admin_login_page_links_the_icon(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert ICON_LINK in html
    assert "img/favicon.ico" in html


def test_the_admin_change_list_links_the_icon(admin_client):
    html = admin_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert ICON_LINK in html


def test_the_liaison_portal_links_the_icon(client):
    html = client.get(reverse("liaison:login")).content.decode()
    assert ICON_LINK in html
    assert "img/favicon.ico" in html
