from datetime import date

import pytest
from django.urls import reverse

from articles.models import ArticlePhoto
from editorial import services
from editorial.models import State
from tests.factories import ArticleFactory, ArticlePhotoFactory, LiaisonFactory, photo_upload

pytestmark = pytest.mark.django_db

REASON = "标题太长，请补充活动时间。"


@pytest.fixture
def portal(client, liaison):
    client.force_login(liaison)
    return client


@pytest.fixture
def sent_back(liaison, liaison_branch, reviewer):
    article = ArticleFactory(
        title="分会活动",
        body="<p>第一段</p><p>第二段<br>第二行</p>",
        event_date=date(2025, 3, 1),
        branch=liaison_branch,
        created_by=liaison,
        state=State.SUBMITTED,
    )
    return services.item_reject(item=article, by=reviewer, reason=REASON)


def _edit(client, article, photos=(), remove=(), **fields):
    data = {
        "title": "分会春季活动",
        "text": "修改后的正文",
        "event_date": "2025-03-02",
        "branch": article.branch_id,
        "photos": list(photos),
        "remove_photos": [photo.pk for photo in remove],
        **fields,
    }
    return client.post(reverse("liaison:edit", args=[article.pk]), data)


def test_the_edit_page_shows_the_reviewer_comment_before_the_form(portal, sent_back):
    page = portal.get(reverse("liaison:edit", args=[sent_back.pk])).content.decode()

    assert REASON in page
    assert page.index(REASON) < page.index('<form method="post" enctype')


def test_the_edit_form_starts_from_the_stored_text(portal, sent_back):
    response = portal.get(reverse("liaison:edit", args=[sent_back.pk]))

    form = response.context["form"]
    assert form["title"].value() == "分会活动"
    assert form["text"].value() == "第一段\n\n第二段\n第二行"


def test_resubmitting_a_sent_back_submission_saves_the_changes_for_review(
    portal, sent_back, liaison
):
    response = _edit(portal, sent_back)

    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert sent_back.state == State.SUBMITTED
    assert (sent_back.title, sent_back.body) == ("分会春季活动", "<p>修改后的正文</p>")
    assert sent_back.event_date == date(2025, 3, 2)
    assert sent_back.audit_entries.filter(
        action="editorial.item.submitted", from_state=State.REJECTED, user=liaison
    ).exists()
    assert sent_back.revisions.filter(created_by=liaison).exists()


def test_photos_can_be_removed_and_added_when_resubmitting(
    portal, sent_back, django_capture_on_commit_callbacks
):
    kept = ArticlePhotoFactory(article=sent_back, position=0)
    removed = ArticlePhotoFactory(article=sent_back, position=1)
    storage = removed.image.storage

    with django_capture_on_commit_callbacks(execute=True):
        _edit(portal, sent_back, photos=[photo_upload("new.jpg")], remove=[removed])

    photos = list(sent_back.photos.all())
    assert [photo.pk for photo in photos[:1]] == [kept.pk]
    assert len(photos) == 2
    new = photos[1].image
    assert new.name != removed.image.name and storage.exists(new.name)
    assert "new" not in new.name.rsplit("/", 1)[-1]  # stored under a random name
    assert not storage.exists(removed.image.name)


def test_more_than_nine_photos_in_total_are_refused(portal, sent_back):
    for position in range(8):
        ArticlePhotoFactory(article=sent_back, position=position)

    response = _edit(portal, sent_back, photos=[photo_upload("1.jpg"), photo_upload("2.jpg")])

    assert response.context["form"].errors["photos"] == [
        "每篇投稿最多 9 张照片：保留 8 张，又添加了 2 张。"
    ]
    sent_back.refresh_from_db()
    assert sent_back.state == State.REJECTED
    assert ArticlePhoto.objects.filter(article=sent_back).count() == 8


def test_a_submission_awaiting_review_cannot_be_edited(portal, liaison, liaison_branch):
    article = ArticleFactory(
        title="审核中", branch=liaison_branch, created_by=liaison, state=State.SUBMITTED
    )

    response = _edit(portal, article)

    assert response.url == reverse("liaison:detail", args=[article.pk])
    article.refresh_from_db()
    assert (article.title, article.state) == ("审核中", State.SUBMITTED)
    assert "“审核中”当前状态为“待审核”，不能在此修改。" in portal.get(response.url).content.decode()


def test_another_liaison_of_the_branch_cannot_edit_it(client, sent_back, liaison_branch):
    colleague = LiaisonFactory()
    liaison_branch.liaisons.add(colleague)
    client.force_login(colleague)

    response = _edit(client, sent_back)

    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert (sent_back.title, sent_back.state) == ("分会活动", State.REJECTED)
