import io
from datetime import date

import pytest
from django.urls import reverse
from PIL import ExifTags, Image

from articles.models import Article, ArticlePhoto
from editorial.errors import NotAllowedError
from editorial.models import AuditEntry, State
from tests.factories import BranchFactory, photo_bytes, photo_upload, png_header_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, liaison, liaison_branch):
    client.force_login(liaison)
    return client


def _post(client, branch, photos=(), **fields):
    data = {
        "title": "上海校友会新春联谊会",
        "text": "第一段<b>欢聚</b>\n\n第二段",
        "event_date": "2025-02-08",
        "branch": branch.pk,
        "photos": list(photos),
        **fields,
    }
    return client.post(reverse("liaison:new"), data)


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)}
    return exif


def test_submitting_news_with_two_photos_sends_it_for_review(portal, liaison, liaison_branch):
    response = _post(
        portal, liaison_branch, [photo_upload("a.jpg"), photo_upload("b.png", format="PNG")]
    )

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.state == State.SUBMITTED
    assert (article.branch, article.created_by) == (liaison_branch, liaison)
    assert article.event_date == date(2025, 2, 8)
    assert [p.image.name.rsplit(".", 1)[-1] for p in article.photos.all()] == ["jpg", "png"]
    assert article.audit_entries.filter(
        action="editorial.item.submitted", to_state=State.SUBMITTED, user=liaison
    ).exists()


def test_the_list_confirms_the_submission_in_chinese(portal, liaison_branch):
    response = _post(portal, liaison_branch, [photo_upload()])

    page = portal.get(response.url).content.decode()
    assert "“上海校友会新春联谊会”已提交审核。" in page
    assert "待审核" in page


def test_the_text_becomes_escaped_paragraphs(portal, liaison_branch):
    _post(portal, liaison_branch)

    assert Article.objects.get().body == ("<p>第一段&lt;b&gt;欢聚&lt;/b&gt;</p>\n\n<p>第二段</p>")


def test_the_only_branch_is_preselected(portal, liaison_branch):
    response = portal.get(reverse("liaison:new"))

    form = response.context["form"]
    assert form["branch"].value() == liaison_branch.pk
    assert 'accept="image/*"' in response.content.decode()
    assert "multiple" in str(form["photos"])


def test_a_liaison_cannot_submit_for_a_branch_that_is_not_theirs(portal):
    response = _post(portal, BranchFactory())

    assert response.status_code == 200
    assert response.context["form"].errors["branch"]
    assert not Article.objects.exists()


def test_a_title_over_the_wechat_limit_is_refused(portal, liaison_branch):
    response = _post(portal, liaison_branch, title="长" * 33)

    assert "标题" in response.content.decode()
    assert response.context["form"].errors["title"]
    assert not Article.objects.exists()


def test_stored_photos_lose_their_gps_and_are_resized(portal, liaison_branch, settings):
    big = photo_upload("gps.jpg", size=(3000, 2000), exif=_gps_exif())

    _post(portal, liaison_branch, [big])

    stored = Image.open(io.BytesIO(ArticlePhoto.objects.get().image.read()))
    assert stored.size == (settings.LIAISON_PHOTO_MAX_EDGE, 1365)
    assert not stored.getexif()


@pytest.mark.parametrize(
    ("bad_photo", "message"),
    [
        (
            lambda: photo_upload("notes.jpg", content="会议纪要".encode()),
            "“notes.jpg”不是照片：只接受 JPEG、PNG、GIF 和 WebP 格式的图片。",
        ),
        (
            lambda: photo_upload("huge.png", content=png_header_only(8000, 7500)),
            "“huge.png”为 8000 × 7500 像素；照片最多 4000 万像素。",
        ),
        (
            lambda: photo_upload("big.jpg", content=photo_bytes() + b"\0" * (11 * 1024 * 1024)),
            "“big.jpg”大小为 11.0\xa0MB，照片最大 10.0\xa0MB。",
        ),
    ],
    ids=["text-renamed-jpg", "60-megapixels", "11-MB"],
)
def test_a_bad_photo_is_named_in_chinese_and_nothing_is_saved(
    portal, liaison_branch, settings, bad_photo, message
):
    response = _post(portal, liaison_branch, [photo_upload("good.jpg"), bad_photo()])

    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [message]
    assert message in response.content.decode()
    assert not Article.objects.exists()
    assert not ArticlePhoto.objects.exists()
    assert _media_files(settings) == []


def test_more_than_nine_photos_are_refused(portal, liaison_branch, settings):
    photos = [photo_upload(f"{n}.jpg", size=(8, 8)) for n in range(10)]

    response = _post(portal, liaison_branch, photos)

    assert response.context["form"].errors["photos"] == ["您选择了 10 张照片，最多只能上传 9 张。"]
    assert not Article.objects.exists()
    assert _media_files(settings) == []


def test_photo_files_are_removed_when_the_submit_fails(
    portal, liaison_branch, settings, monkeypatch
):
    def refuse(**kwargs):
        raise NotAllowedError("不允许提交")

    monkeypatch.setattr("articles.services.services.item_submit", refuse)

    response = _post(portal, liaison_branch, [photo_upload("a.jpg"), photo_upload("b.jpg")])

    assert "不允许提交" in response.content.decode()
    assert not Article.objects.exists()
    assert not ArticlePhoto.objects.exists()
    assert not AuditEntry.objects.exists()
    assert _media_files(settings) == []
