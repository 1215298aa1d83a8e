"""The public pages' header and language buttons, rendered once per process (core.memo)."""

import pytest
from django.urls import reverse

from core.memo import Fragments

pytestmark = pytest.mark.django_db


def test_the_header_marks_the_section_of_each_page(client):
    news = client.get(reverse("articles:list")).content.decode()
    activities = client.get(reverse("activities:list")).content.decode()

    assert f'<a href="{reverse("articles:list")}" aria-current="page">' in news
    assert f'<a href="{reverse("activities:list")}" aria-current="page">' in activities
    assert f'<a href="{reverse("articles:list")}" aria-current="page">' not in activities


def test_a_new_site_name_reaches_the_header(client, settings):
    client.get(reverse("articles:list"))
    settings.SITE_NAME = "北京校友总会"

    page = client.get(reverse("articles:list")).content.decode()

    assert '<a class="site-name" href="/">' in page
    assert "北京校友总会</a>" in page


def test_the_language_buttons_mark_the_language_of_the_page(client):
    chinese = client.get(reverse("articles:list")).content.decode()
    english = client.get(reverse("articles:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'value="zh-hans" lang="zh-hans" aria-pressed="true"' in chinese
    assert 'value="en" lang="en" aria-pressed="true"' in english
    assert "Main menu" in english


def test_fragments_drop_the_oldest_entry_when_full():
    fragments = Fragments(size=2)
    fragments.set("a", "<p>a</p>")
    fragments.set("b", "<p>b</p>")

    fragments.set("c", "<p>c</p>")

    assert fragments.get("a") is None
    assert fragments.get("b") == "<p>b</p>"
    assert fragments.get("c") == "<p>c</p>"
