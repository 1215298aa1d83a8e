"""The rich-text sanitizer (editorial.html): images keep no fixed pixel size, so they take the
column's width in the editor, on the site and in WeChat."""

import pytest

from editorial.html import sanitize_html
from tests.factories import ArticleFactory

WIDE = '<img src="/media/uploads/1/2026/12/a.jpg" alt="合影" width="1600" height="1200">'


def test_an_image_loses_its_width_and_height_attributes():
    assert sanitize_html(WIDE) == '<img src="/media/uploads/1/2026/12/a.jpg" alt="合影">'


def test_an_image_loses_a_pixel_width_and_height_in_its_style():
    html = '<img src="/media/a.jpg" style="width:1600px; height:1200px">'
    assert "px" not in sanitize_html(html)
    assert 'src="/media/a.jpg"' in sanitize_html(html)


def test_text_alignment_survives_next_to_a_dropped_width():
    html = '<p style="text-align:center; width:900px">居中</p>'
    assert sanitize_html(html) == '<p style="text-align:center">居中</p>'


@pytest.mark.django_db
def test_an_article_is_stored_without_its_images_pixel_size():
    article = ArticleFactory(body=f"<p>返校日</p>{WIDE}")
    article.refresh_from_db()
    assert article.body == '<p>返校日</p><img src="/media/uploads/1/2026/12/a.jpg" alt="合影">'
