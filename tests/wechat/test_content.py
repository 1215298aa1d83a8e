"""Turning an item into WeChat article fields: the editorial interface, HTML, images, preflight."""

import io

import pytest
from PIL import Image

from editorial.models import State
from editorial.publishing import (
    item_by_key,
    item_key,
    item_preflight,
    item_publication,
    media_name,
    pushable_items,
)
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    PushableArticleFactory,
    media_image,
    photo_bytes,
)
from wechat.content import (
    COVER_MAX_BYTES,
    IMAGE_MAX_BYTES,
    ContentError,
    cover_jpeg,
    image_sources,
    rewrite_html,
    upload_ready_image,
)

pytestmark = pytest.mark.django_db


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _noise(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    """An image that compresses badly, so a modest size gives a large file."""
    import os

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_publication_has_absolute_url_and_stable_key(settings):
    settings.SITE_URL = "https://alumni.example.edu.cn"
    article = PushableArticleFactory(title="校友返校日", author="校友办")
    publication = item_publication(article)
    assert publication.key == f"articles.article:{article.pk}"
    assert publication.url == f"https://alumni.example.edu.cn/news/{article.pk}/"
    assert (publication.title, publication.author) == ("校友返校日", "校友办")


def test_publication_digest_falls_back_to_the_first_text():
    article = PushableArticleFactory(digest="", body="<p>第一段<b>文字</b>。</p><p>第二段。</p>")
    assert item_publication(article).digest == "第一段文字。第二段。"


def test_publication_version_changes_with_the_content():
    article = PushableArticleFactory()
    before = item_publication(article).version
    article.body = "<p>改过的正文。</p>"
    article.save()
    assert item_publication(article).version != before


def test_item_by_key_finds_the_item_of_any_module():
    activity = ActivityFactory(state=State.PUBLISHED)
    assert item_by_key(item_key(activity)) == activity


@pytest.mark.parametrize("key", ["", "articles.article", "auth.user:1", "articles.article:999"])
def test_item_by_key_refuses_what_is_not_an_item(key):
    with pytest.raises(LookupError):
        item_by_key(key)


def test_pushable_items_are_the_approved_ones_of_every_module():
    published = PushableArticleFactory()
    scheduled = ActivityFactory(state=State.SCHEDULED)
    ArticleFactory(state=State.DRAFT)
    ArticleFactory(state=State.WITHDRAWN)
    assert set(pushable_items()) == {published, scheduled}


@pytest.mark.parametrize(
    ("src", "name"),
    [
        ("/media/uploads/a.jpg", "uploads/a.jpg"),
        ("http://127.0.0.1:8000/media/uploads/%E6%A0%A1.jpg", "uploads/校.jpg"),
        ("https://elsewhere.example.com/media/a.jpg", None),
        ("/static/a.jpg", None),
        ("/media/../secret", None),
    ],
)
def test_media_name_reads_only_local_media(settings, src, name):
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert media_name(src) == name


def test_rewrite_points_images_at_the_uploaded_urls():
    html = '<p>合影</p><img src="/media/a.jpg" alt="合影" width="640"><img src="/media/b.jpg">'
    out = rewrite_html(html, image_urls={"/media/a.jpg": "http://mmbiz.qpic.cn/A"})
    assert out == '<p>合影</p><img src="http://mmbiz.qpic.cn/A" alt="合影">'


def test_rewrite_turns_external_links_into_text():
    html = '<p>详见<a href="https://example.com/x">学校官网</a>。</p>'
    assert rewrite_html(html, image_urls={}) == "<p>详见学校官网。</p>"


def test_rewrite_keeps_links_to_wechat_articles():
    html = '<p><a href="https://mp.weixin.qq.com/s/abc">上期回顾</a></p>'
    assert rewrite_html(html, image_urls={}) == html


def test_rewrite_sanitizes_what_wechat_must_not_get():
    html = '<p onclick="x()">正文<script>alert(1)</script></p><iframe src="https://x"></iframe>'
    assert rewrite_html(html, image_urls={}) == "<p>正文</p>"


def test_image_sources_are_distinct_and_in_order():
    html = '<img src="/media/b.jpg"><p><img src="/media/a.jpg"></p><img src="/media/b.jpg">'
    assert image_sources(html) == ["/media/b.jpg", "/media/a.jpg"]


def test_small_jpeg_is_uploaded_as_it_is():
    data = photo_bytes()
    assert upload_ready_image(data) == (data, "image.jpg")


def test_gif_becomes_a_jpeg():
    data, name = upload_ready_image(photo_bytes(format="GIF", mode="P"))
    assert (name, _image(data).format) == ("image.jpg", "JPEG")


def test_large_png_becomes_a_jpeg_under_one_megabyte():
    big = _noise((900, 700))
    assert len(big) > IMAGE_MAX_BYTES
    data, _name = upload_ready_image(big)
    assert len(data) < IMAGE_MAX_BYTES
    assert _image(data).format == "JPEG"


def test_a_file_that_is_no_image_is_refused():
    with pytest.raises(ContentError):
        upload_ready_image(b"%PDF-1.4 not an image")


def test_cover_is_cut_to_at_most_235_to_1_and_at_most_1280_wide():
    data = cover_jpeg(photo_bytes((3000, 500)))
    image = _image(data)
    assert image.format == "JPEG"
    assert image.size == (1175, 500)


def test_tall_cover_is_cut_to_a_square():
    assert _image(cover_jpeg(photo_bytes((400, 900)))).size == (400, 400)


def test_noisy_cover_stays_under_one_megabyte():
    assert len(cover_jpeg(_noise((1600, 1000)))) < COVER_MAX_BYTES


def test_transparent_cover_is_flattened_on_white():
    data = cover_jpeg(photo_bytes((300, 200), format="PNG", mode="RGBA", color=(0, 0, 0, 0)))
    assert _image(data).getpixel((150, 100)) == (255, 255, 255)


def test_a_clean_item_has_no_problems():
    src = media_image()
    assert item_preflight(PushableArticleFactory(body=f'<p>正文</p><img src="{src}">')) == []


def test_preflight_names_an_image_from_another_site():
    article = PushableArticleFactory(body='<p>正文</p><img src="https://elsewhere.cn/x.jpg">')
    [problem] = item_preflight(article)
    assert "x.jpg" in problem and "不在本站" in problem


def test_preflight_names_a_missing_image_file():
    article = PushableArticleFactory(body='<p>正文</p><img src="/media/uploads/gone.jpg">')
    assert item_preflight(article) == ["图片“gone.jpg”在本站的文件中找不到。"]


def test_preflight_finds_a_body_too_long_for_wechat():
    article = PushableArticleFactory(body="<p>" + "长" * 20_000 + "</p>")
    assert item_preflight(article) == ["文章正文超出微信的长度限制（少于 20,000 字且小于 1 MB）。"]


def test_preflight_asks_for_a_cover_when_there_is_no_image_at_all():
    article = PushableArticleFactory(cover="", body="<p>只有文字。</p>")
    assert item_preflight(article) == ["微信需要封面图片：请添加封面，或在正文中插入图片。"]


def test_an_image_in_the_body_can_serve_as_the_cover():
    article = PushableArticleFactory(cover="", body=f'<img src="{media_image()}">')
    assert item_preflight(article) == []
