"""Saving keeps a revision; a revision can be restored and compared with another."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from activities.models import Activity
from articles.models import Article
from editorial.errors import InvalidValueError, NotAllowedError, TransitionError
from editorial.models import AuditEntry, Revision, State
from editorial.selectors import revision_diff
from editorial.services import item_save, revision_restore
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    ArticlePhotoFactory,
    CategoryFactory,
    DonationProjectFactory,
    photo_bytes,
)

pytestmark = pytest.mark.django_db


def _revision(item, by, **changes):
    item_save(item=item, by=by, data=changes)
    return Revision.objects.filter(object_id=item.pk).order_by("-pk").first()


# Saving


def test_save_keeps_a_revision_of_the_saved_content(author):
    article = ArticleFactory(created_by=author)
    item_save(item=article, by=author, data={"title": "改后的标题", "body": "<p>新正文</p>"})
    revision = Revision.objects.get()
    assert (revision.item, revision.created_by, revision.state) == (article, author, State.DRAFT)
    assert revision.data["title"] == "改后的标题"
    assert revision.data["body"] == "<p>新正文</p>"


def test_each_save_keeps_another_revision(author):
    article = ArticleFactory(created_by=author)
    item_save(item=article, by=author, data={"title": "第一版"})
    item_save(item=article, by=author, data={"title": "第二版"})
    assert [r.data["title"] for r in Revision.objects.order_by("pk")] == ["第一版", "第二版"]


def test_save_refuses_edits_to_a_submission_awaiting_review(author):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author, title="原标题")
    with pytest.raises(TransitionError):
        item_save(item=article, by=author, data={"title": "偷偷改"})
    article.refresh_from_db()
    assert article.title == "原标题"
    assert not Revision.objects.exists()


@pytest.mark.parametrize("state", [State.SCHEDULED, State.PUBLISHED])
def test_editing_an_approved_item_takes_it_back_to_draft(state, author):
    article = ArticleFactory(state=state, created_by=author, title="原标题")
    item_save(item=article, by=author, data={"title": "改后的标题"})
    article.refresh_from_db()
    assert (article.title, article.state) == ("改后的标题", State.DRAFT)
    entry = AuditEntry.objects.get(action="editorial.item.reopened")
    assert (entry.from_state, entry.to_state, entry.user) == (state, State.DRAFT, author)
    assert Revision.objects.get().data["title"] == "改后的标题"


def test_editing_a_published_item_withdraws_it_from_the_site(
    author, received, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=State.PUBLISHED, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        item_save(item=article, by=author, data={"title": "改后的标题"})
    assert [name for name, _kwargs in received] == ["item_withdrawn"]
    assert not Article.objects.published().exists()


def test_save_keeps_the_stored_state_whatever_the_instance_says(author):
    article = ArticleFactory(created_by=author)
    article.state = State.PUBLISHED
    item_save(item=article, by=author)
    article.refresh_from_db()
    assert article.state == State.DRAFT


def test_save_refuses_workflow_fields_in_data(author):
    article = ArticleFactory(created_by=author)
    with pytest.raises(InvalidValueError):
        item_save(item=article, by=author, data={"state": State.PUBLISHED})
    article.refresh_from_db()
    assert article.state == State.DRAFT


def test_save_refuses_an_invalid_value_and_saves_nothing(author):
    article = ArticleFactory(created_by=author, title="原标题")
    with pytest.raises(InvalidValueError) as excinfo:
        item_save(item=article, by=author, data={"title": "长" * 40})
    assert "title" in excinfo.value.errors
    assert str(excinfo.value).startswith("无法保存：标题：")
    article.refresh_from_db()
    assert article.title == "原标题"
    assert not Revision.objects.exists()


def test_liaison_creates_a_draft_owned_by_them(liaison):
    article = item_save(item=Article(), by=liaison, data={"title": "分会年会", "body": "<p>x</p>"})
    article.refresh_from_db()
    assert (article.state, article.created_by) == (State.DRAFT, liaison)
    assert AuditEntry.objects.get().action == "editorial.item.created"
    assert Revision.objects.get().item == article


def test_liaison_cannot_edit_someone_elses_item(author, liaison):
    article = ArticleFactory(created_by=author)
    with pytest.raises(NotAllowedError):
        item_save(item=article, by=liaison, data={"title": "改"})


# Restoring


def test_restore_writes_the_snapshot_back_as_a_draft(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, title="旧标题", body="<p>旧正文</p>")
    _revision(article, author, title="新标题", body="<p>新正文</p>")
    Article.objects.filter(pk=article.pk).update(state=State.REJECTED)
    revision_restore(revision=old, by=author)
    article.refresh_from_db()
    assert (article.title, article.body, article.state) == ("旧标题", "<p>旧正文</p>", State.DRAFT)


def test_restore_is_audited_and_kept_as_a_new_revision(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, title="旧标题")
    _revision(article, author, title="新标题")
    revision_restore(revision=old, by=author)
    entry = AuditEntry.objects.get(action="editorial.revision.restored")
    assert (entry.item, entry.user, entry.to_state, entry.comment) == (
        article,
        author,
        State.DRAFT,
        f"#{old.pk}",
    )
    assert Revision.objects.order_by("-pk").first().data["title"] == "旧标题"


def test_restore_brings_back_typed_fields(author):
    activity = ActivityFactory(created_by=author)
    starts = activity.starts_at
    old = _revision(activity, author)
    _revision(activity, author, starts_at=starts + timedelta(days=3), capacity=None)
    revision_restore(revision=old, by=author)
    activity.refresh_from_db()
    assert (activity.starts_at, activity.capacity) == (starts, 50)


def test_restore_brings_back_a_decimal_goal(author):
    project = DonationProjectFactory(created_by=author, goal=Decimal("5000.50"))
    old = _revision(project, author)
    _revision(project, author, goal=Decimal("9999.00"))
    revision_restore(revision=old, by=author)
    project.refresh_from_db()
    assert project.goal == Decimal("5000.50")


def test_restore_empties_a_relation_whose_target_was_deleted(author):
    article = ArticleFactory(created_by=author)
    gone = CategoryFactory()
    old = _revision(article, author, category=gone)
    _revision(article, author, category=None)
    gone.delete()
    revision_restore(revision=old, by=author)
    article.refresh_from_db()
    assert article.category is None


def test_restore_refused_while_awaiting_review(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, title="旧标题")
    Article.objects.filter(pk=article.pk).update(state=State.SUBMITTED, title="待审标题")
    with pytest.raises(TransitionError):
        revision_restore(revision=old, by=author)
    article.refresh_from_db()
    assert (article.title, article.state) == ("待审标题", State.SUBMITTED)


def test_restoring_into_a_published_item_takes_it_back_to_draft(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, title="旧标题")
    Article.objects.filter(pk=article.pk).update(state=State.PUBLISHED, title="线上标题")
    revision_restore(revision=old, by=author)
    article.refresh_from_db()
    assert (article.title, article.state) == ("旧标题", State.DRAFT)
    assert AuditEntry.objects.filter(
        action="editorial.item.reopened", from_state=State.PUBLISHED
    ).exists()


def test_restore_refused_to_a_plain_user(author):
    from tests.factories import UserFactory

    article = ArticleFactory(created_by=author)
    old = _revision(article, author, title="旧标题")
    with pytest.raises(NotAllowedError):
        revision_restore(revision=old, by=UserFactory())


# Diffs


def test_diff_lists_only_changed_fields_with_their_labels(author):
    article = ArticleFactory(created_by=author, body="<p>同样的正文</p>")
    old = _revision(article, author, title="旧标题")
    new = _revision(article, author, title="新标题")
    [change] = revision_diff(old=old, new=new)
    assert (change["field"], change["label"]) == ("title", "标题")
    assert (change["before"], change["after"]) == ("旧标题", "新标题")
    assert "<del>旧</del><ins>新</ins>标题" in change["html"]


def test_body_diff_shows_words_not_markup(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, body="<p>第一段。</p><p>第二段<strong>重点</strong>。</p>")
    new = _revision(article, author, body="<p>第一段。</p><p>第二段改了。</p><p>第三段。</p>")
    [change] = revision_diff(old=old, new=new)
    assert change["before"] == "第一段。\n第二段重点。"
    assert change["after"] == "第一段。\n第二段改了。\n第三段。"
    assert "strong" not in change["html"] and "&lt;p" not in change["html"]
    assert '<div class="diff-same">第一段。</div>' in change["html"]
    assert '<div class="diff-added"><ins>第三段。</ins></div>' in change["html"]


def test_diff_escapes_text(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, digest="摘要")
    new = _revision(article, author, digest="<script>")
    [change] = revision_diff(old=old, new=new)
    assert "<script>" not in change["html"]
    assert "<ins>&lt;script&gt;</ins>" in change["html"]


def test_diff_names_a_related_object(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, category=CategoryFactory(name="校园新闻"))
    new = _revision(article, author, category=CategoryFactory(name="校友动态"))
    [change] = revision_diff(old=old, new=new)
    assert (change["before"], change["after"]) == ("校园新闻", "校友动态")


def test_diff_notes_a_change_of_formatting_only(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, body="<p>正文</p>")
    new = _revision(article, author, body="<p><strong>正文</strong></p>")
    [change] = revision_diff(old=old, new=new)
    assert "仅格式有变化。" in change["html"]


def test_diff_of_identical_revisions_is_empty(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author)
    new = _revision(article, author)
    assert revision_diff(old=old, new=new) == []


def test_diff_shows_a_swapped_image(author):
    article = ArticleFactory(created_by=author)
    old = _revision(article, author, body='<p>图：</p><p><img src="/media/a.jpg"></p>')
    new = _revision(article, author, body='<p>图：</p><p><img src="/media/b.jpg"></p>')
    [change] = revision_diff(old=old, new=new)
    assert change["after"] == "图：\n[图片 b.jpg]"


def test_activity_time_change_is_listed(author):
    activity = ActivityFactory(created_by=author)
    old = _revision(activity, author)
    new_start = timezone.now() + timedelta(days=40)
    new = _revision(activity, author, starts_at=new_start)
    assert [c["field"] for c in revision_diff(old=old, new=new)] == ["starts_at"]
    assert Activity.objects.get().starts_at == new_start


# Photos are part of an article's content


def _photo_revision(article, by):
    item_save(item=article, by=by)
    return Revision.objects.filter(object_id=article.pk).order_by("-pk").first()


def test_a_revision_holds_the_articles_photos_and_captions(author):
    article = ArticleFactory(created_by=author)
    photo = ArticlePhotoFactory(article=article, caption="合影留念", position=0)
    revision = _photo_revision(article, author)
    assert revision.data["photos"] == [
        {"image": photo.image.name, "caption": "合影留念", "position": 0}
    ]


def test_restore_brings_back_removed_photos_and_their_captions(author):
    article = ArticleFactory(created_by=author)
    photo = ArticlePhotoFactory(article=article, caption="合影留念")
    old = _photo_revision(article, author)
    article.photos.all().delete()
    ArticlePhotoFactory(article=article, caption="后来加的")
    _photo_revision(article, author)
    revision_restore(revision=old, by=author)
    assert [(p.image.name, p.caption) for p in article.photos.all()] == [
        (photo.image.name, "合影留念")
    ]


def test_restore_leaves_out_a_photo_whose_file_is_gone(author):
    article = ArticleFactory(created_by=author)
    photo = ArticlePhotoFactory(article=article, caption="已删除的照片")
    old = _photo_revision(article, author)
    photo.image.storage.delete(photo.image.name)
    revision_restore(revision=old, by=author)
    assert not article.photos.exists()


def test_diff_shows_a_changed_photo_caption(author):
    article = ArticleFactory(created_by=author)
    photo = ArticlePhotoFactory(article=article, caption="开幕式")
    old = _photo_revision(article, author)
    photo.caption = "闭幕式"
    photo.save()
    new = _photo_revision(article, author)
    [change] = revision_diff(old=old, new=new)
    assert (change["field"], change["label"]) == ("photos", "照片")
    assert "<del>开</del><ins>闭</ins>幕式" in change["html"]


def test_restore_brings_back_the_previous_cover(author):
    article = ArticleFactory(created_by=author)
    article.cover.save("old-cover.jpg", ContentFile(photo_bytes()), save=True)
    old = _photo_revision(article, author)
    old_name = article.cover.name
    article.cover.save("new-cover.jpg", ContentFile(photo_bytes(color="blue")), save=False)
    item_save(item=article, by=author)
    revision_restore(revision=old, by=author)
    article.refresh_from_db()
    assert article.cover.name == old_name


def test_restore_empties_a_cover_whose_file_is_gone(author):
    article = ArticleFactory(created_by=author)
    article.cover.save("gone.jpg", ContentFile(photo_bytes()), save=True)
    old = _photo_revision(article, author)
    article.cover.storage.delete(article.cover.name)
    revision_restore(revision=old, by=author)
    article.refresh_from_db()
    assert not article.cover
