"""Every upload path refuses what is not an image, re-encodes what is, and stores it under a
random name; uploaded media is served so that nothing can run as a page (issue 10, item 5).

Paths: the rich-text editor's upload (/ckeditor/upload/), the admin's cover field of every
content type, the admin's article photo inline and the liaison portal's photos.
"""

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import reverse
from PIL import ExifTags, Image

from articles.models import Article
from core.media import serve_media
from donations.models import DonationProject
from tests.factories import ArticleFactory, photo_bytes, photo_upload, png_header_only

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PAGE = b"<html><body><script>alert(document.domain)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>'
# Files that start like an image and are a page, an SVG or an XHTML document after that.
POLYGLOTS = [
    ("poc.html", b"GIF89a" + PAGE),
    ("poc.html", PNG_SIGNATURE + PAGE),
    ("poc.svg", PNG_SIGNATURE + SVG),
    ("poc.svg", b"GIF89a" + SVG),
    ("poc.xhtml", b"GIF89a" + b'<html xmlns="http://www.w3.org/1999/xhtml">' + PAGE),
    ("poc.xhtml", PNG_SIGNATURE + b'<html xmlns="http://www.w3.org/1999/xhtml">' + PAGE),
]
RANDOM_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)}
    return exif


def _assert_clean_image(path: Path, *, original_name: str) -> None:
    assert RANDOM_NAME.match(path.name), path.name
    assert Path(original_name).stem not in str(path)
    with Image.open(path) as image:
        assert image.format in {"JPEG", "PNG"}
        assert not image.getexif()
    assert PAGE not in path.read_bytes()


# The rich-text editor's upload


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def _editor_upload(client, upload, **query):
    url = reverse("ckeditor_upload")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"upload": upload})


@pytest.mark.parametrize(("name", "content"), POLYGLOTS)
def test_the_editor_refuses_a_page_with_an_image_header(editor_client, settings, name, content):
    response = _editor_upload(editor_client, photo_upload(name, content=content))

    assert response.status_code == 200
    answer = response.json()
    assert answer["uploaded"] == 0
    assert f"“{name}”" in answer["error"]["message"]
    assert _stored_files(settings) == []


def test_the_editor_answers_a_30000_square_png_header_with_a_clear_error(editor_client, settings):
    response = _editor_upload(
        editor_client, photo_upload("bomb.png", content=png_header_only(30000, 30000))
    )

    assert response.status_code == 200
    assert response.json() == {
        "uploaded": 0,
        "error": {"message": "“bomb.png”像素过多；照片最多 4000 万像素。"},
    }
    assert _stored_files(settings) == []


def test_the_editor_stores_a_good_image_re_encoded_under_a_random_name(
    editor_client, editor, settings
):
    upload = photo_upload("校友合影_IMG_0042.jpg", exif=_gps_exif())

    response = _editor_upload(editor_client, upload)

    answer = response.json()
    assert answer["uploaded"] == 1
    [stored] = _stored_files(settings)
    _assert_clean_image(stored, original_name="IMG_0042")
    assert answer["url"] == default_storage.url(stored.relative_to(settings.MEDIA_ROOT).as_posix())
    assert stored.relative_to(settings.MEDIA_ROOT).parts[:2] == ("uploads", str(editor.pk))


def test_an_image_followed_by_a_page_is_stored_without_the_page(editor_client, settings):
    response = _editor_upload(
        editor_client, photo_upload("poc.html", content=photo_bytes(format="PNG") + PAGE)
    )

    assert response.json()["uploaded"] == 1
    [stored] = _stored_files(settings)
    assert stored.suffix == ".png"
    _assert_clean_image(stored, original_name="poc")


def test_the_dialog_callback_number_is_never_echoed_as_script(editor_client):
    upload = photo_upload("poc.html", content=b"GIF89a" + PAGE)

    response = _editor_upload(editor_client, upload, CKEditorFuncNum="1);alert(1)//")

    assert b"alert(1)" not in response.content
    assert response.json()["uploaded"] == 0


def test_the_dialog_gets_the_refusal_through_its_callback(editor_client):
    upload = photo_upload("poc.svg", content=PNG_SIGNATURE + SVG)

    response = _editor_upload(editor_client, upload, CKEditorFuncNum="3")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<script type="text/javascript">')
    assert "window.parent.CKEDITOR.tools.callFunction(3, ''," in page
    assert "poc.svg" in page
    assert "<svg" not in page


def test_someone_without_admin_access_cannot_upload(client, liaison, settings):
    client.force_login(liaison)

    response = _editor_upload(client, photo_upload("a.jpg"))

    assert response.status_code == 302
    assert _stored_files(settings) == []


def test_the_browser_lists_only_the_users_own_images(editor_client, editor, reviewer, settings):
    _editor_upload(editor_client, photo_upload("mine.jpg"))
    [mine] = _stored_files(settings)
    others = default_storage.save(
        f"uploads/{reviewer.pk}/2026/01/other.jpg", io.BytesIO(photo_bytes())
    )
    legacy_page = default_storage.save(f"uploads/{editor.pk}/2026/01/poc.html", io.BytesIO(PAGE))

    response = editor_client.get(reverse("ckeditor_browse"))

    page = response.content.decode()
    assert response.status_code == 200
    assert mine.name in page
    assert Path(others).name not in page
    assert Path(legacy_page).name not in page


# Covers in the admin (the same field on every content type) and the article photo inline


def _project_form(cover) -> dict:
    return {
        "title": "新体育馆",
        "digest": "",
        "body": "<p>建设新体育馆。</p>",
        "cover": cover,
        "goal": "100000.00",
        "deadline": "",
        "publish_at_0": "",
        "publish_at_1": "",
    }


@pytest.mark.parametrize(("name", "content"), POLYGLOTS)
def test_a_cover_that_is_a_page_is_refused_with_a_form_error(
    client, office_admin, settings, name, content
):
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:donations_donationproject_add"),
        _project_form(photo_upload(name, content=content)),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["cover"]
    assert errors == [f"“{name}”不是照片：只接受 JPEG、PNG、GIF 和 WebP 格式的图片。"]
    assert not DonationProject.objects.exists()
    assert _stored_files(settings) == []


def test_a_cover_with_a_30000_square_header_is_a_form_error(client, office_admin, settings):
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:donations_donationproject_add"),
        _project_form(photo_upload("bomb.png", content=png_header_only(30000, 30000))),
    )

    assert response.status_code == 200
    assert "cover" in response.context["adminform"].form.errors
    assert _stored_files(settings) == []


def test_a_cover_is_re_encoded_under_a_random_dated_name(client, office_admin, settings):
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:donations_donationproject_add"),
        _project_form(photo_upload("draft-secret-plan.jpg", exif=_gps_exif())),
    )

    assert response.status_code == 302
    cover = DonationProject.objects.get().cover
    assert re.match(r"^covers/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$", cover.name), cover.name
    _assert_clean_image(Path(cover.path), original_name="draft-secret-plan")


def test_code_that_saves_a_cover_directly_still_gets_a_random_name():
    article = ArticleFactory(cover=None)

    article.cover.save("draft-secret-plan.jpg", io.BytesIO(photo_bytes()))

    assert re.match(r"^covers/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$", article.cover.name)


def test_code_cannot_store_a_page_as_a_cover():
    article = ArticleFactory(cover=None)

    with pytest.raises(SuspiciousFileOperation):
        article.cover.save("poc.html", io.BytesIO(PAGE))

    assert not default_storage.exists("covers")


def _article_with_photo(photo) -> dict:
    article = ArticleFactory.build(category=None, department=None)
    return {
        "title": "校友返校日",
        "digest": "",
        "body": "<p>返校日。</p>",
        "author": article.author,
        "category": "",
        "department": "",
        "branch": "",
        "event_date": "",
        "source_url": "",
        "publish_at_0": "",
        "publish_at_1": "",
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
        "photos-0-image": photo,
        "photos-0-caption": "合影",
        "photos-0-position": "0",
    }


def test_an_article_photo_that_is_a_page_is_refused_in_the_admin(client, editor, settings):
    client.force_login(editor)

    response = client.post(
        reverse("admin:articles_article_add"),
        _article_with_photo(photo_upload("poc.html", content=b"GIF89a" + PAGE)),
    )

    assert response.status_code == 200
    assert not Article.objects.exists()
    assert _stored_files(settings) == []


def test_an_article_photo_is_re_encoded_under_a_random_name(client, editor, settings):
    client.force_login(editor)

    response = client.post(
        reverse("admin:articles_article_add"),
        _article_with_photo(photo_upload("IMG_7781.jpg", exif=_gps_exif())),
    )

    assert response.status_code == 302
    photo = Article.objects.get().photos.get()
    _assert_clean_image(Path(photo.image.path), original_name="IMG_7781")


# The liaison portal


def _submit(client, branch, photo):
    data = {
        "title": "上海校友会新春联谊会",
        "text": "欢聚一堂。",
        "event_date": "2025-02-08",
        "branch": branch.pk,
        "photos": [photo],
    }
    return client.post(reverse("liaison:new"), data)


@pytest.mark.parametrize(("name", "content"), POLYGLOTS)
def test_a_liaison_photo_that_is_a_page_is_refused(
    client, liaison, liaison_branch, settings, name, content
):
    client.force_login(liaison)

    response = _submit(client, liaison_branch, photo_upload(name, content=content))

    assert response.status_code == 200
    assert f"“{name}”" in " ".join(response.context["form"].errors["photos"])
    assert not Article.objects.exists()
    assert _stored_files(settings) == []


def test_a_liaison_photo_is_stored_under_a_random_name(client, liaison, liaison_branch, settings):
    client.force_login(liaison)

    response = _submit(client, liaison_branch, photo_upload("张三家门口.jpg", exif=_gps_exif()))

    assert response.status_code == 302
    photo = Article.objects.get().photos.get()
    _assert_clean_image(Path(photo.image.path), original_name="张三家门口")


# Media as DEBUG serves it (deploy/nginx sends the same headers in production)


def _media(settings, name: str, content: bytes):
    default_storage.save(name, io.BytesIO(content))
    return serve_media(RequestFactory().get(f"/media/{name}"), name)


def test_served_media_is_never_sniffed_and_is_sandboxed(settings):
    response = _media(settings, "covers/2026/01/a.png", photo_bytes(format="PNG"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["uploads/poc.html", "uploads/poc.svg", "uploads/poc.xhtml"])
def test_media_that_is_not_an_image_by_name_is_not_served(settings, name):
    from django.http import Http404

    with pytest.raises(Http404):
        _media(settings, name, b"GIF89a" + PAGE)
