"""The four-eyes rule for content: nothing reaches the public unless a second person approved it.

Attacks from the issue-10 run, sent through the admin as a user would: a reviewer who rewrote
an editor's draft and approved it himself; an editor who added a photo and caption inline to a
published article, which went public with no review, revision or audit entry.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from articles.models import Article
from editorial.errors import NotAllowedError
from editorial.models import AuditEntry, Revision, State
from editorial.selectors import items_awaiting_review
from editorial.services import item_approve, item_save, item_submit, revision_restore
from tests.admin_forms import article_form
from tests.factories import ArticleFactory, ArticlePhotoFactory, ReviewerFactory, photo_upload

pytestmark = pytest.mark.django_db

CHANGED_SINCE_APPROVAL = "您在上次审核通过后修改过此内容，须由其他审核员审核。"


def change_url(item):
    return reverse("admin:articles_article_change", args=[item.pk])


def workflow_url(item, name):
    return reverse("admin:articles_article_workflow", args=[item.pk, name])


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


def approve_url_offered(client, article) -> bool:
    return workflow_url(article, "approve") in client.get(change_url(article)).content.decode()


def public_status(article) -> int:
    return Client().get(reverse("articles:detail", args=[article.pk])).status_code


def published_and_approved(article, *, by):
    """The article as it is after a real review: submitted by its author, approved by `by`."""
    item_save(item=article, by=article.created_by)
    item_submit(item=article, by=article.created_by)
    return item_approve(item=article, by=by)


# Attack (a): a reviewer rewrites an editor's draft, submits it and approves it himself.


def test_reviewer_who_rewrote_an_editors_draft_cannot_approve_it(client, editor, reviewer):
    article = ArticleFactory(created_by=editor, body="<p>编辑写的正文。</p>")
    client.force_login(reviewer)
    client.post(change_url(article), article_form(article, body="<p>审核员改写的正文。</p>"))
    client.post(workflow_url(article, "submit"), {"submit-comment": ""})

    response = client.post(workflow_url(article, "approve"), {"approve-comment": ""}, follow=True)

    assert CHANGED_SINCE_APPROVAL in messages_of(response)
    article.refresh_from_db()
    assert (article.body, article.state) == ("<p>审核员改写的正文。</p>", State.SUBMITTED)
    assert public_status(article) == 404


def test_the_approve_button_is_not_offered_to_a_reviewer_who_changed_the_item(
    client, editor, reviewer
):
    article = ArticleFactory(created_by=editor)
    client.force_login(reviewer)
    client.post(change_url(article), article_form(article, title="审核员改的标题"))
    client.post(workflow_url(article, "submit"), {"submit-comment": ""})

    assert not approve_url_offered(client, article)


def test_another_reviewer_may_approve_what_a_reviewer_changed(
    client, editor, reviewer, second_reviewer
):
    article = ArticleFactory(created_by=editor)
    item_save(item=article, by=reviewer, data={"title": "审核员改的标题"})
    item_submit(item=article, by=editor)
    client.force_login(second_reviewer)

    assert approve_url_offered(client, article)
    client.post(workflow_url(article, "approve"), {"approve-comment": ""})
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_restoring_a_revision_counts_as_changing_the_item(editor, reviewer):
    article = ArticleFactory(created_by=editor, title="第一版")
    item_save(item=article, by=editor)
    first = Revision.objects.get(object_id=article.pk)
    item_save(item=article, by=editor, data={"title": "第二版"})
    revision_restore(revision=first, by=reviewer)
    item_submit(item=article, by=editor)

    with pytest.raises(NotAllowedError):
        item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_changes_before_the_last_approval_do_not_bar_a_reviewer(editor, reviewer, second_reviewer):
    article = ArticleFactory(created_by=editor)
    item_save(item=article, by=reviewer, data={"title": "审核员改过"})
    item_submit(item=article, by=editor)
    item_approve(item=article, by=second_reviewer)
    item_save(item=article, by=editor, data={"title": "作者又改了"})
    item_submit(item=article, by=editor)

    item_approve(item=article, by=reviewer)

    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_the_review_queue_leaves_out_items_the_reviewer_changed(editor, reviewer):
    changed = ArticleFactory(created_by=editor, title="审核员改过的")
    untouched = ArticleFactory(created_by=editor, title="没改过的")
    item_save(item=changed, by=reviewer, data={"title": "审核员改过的稿"})
    item_submit(item=changed, by=editor)
    item_submit(item=untouched, by=editor)

    assert items_awaiting_review(user=reviewer) == [untouched]


def test_self_approval_setting_lets_the_author_approve_but_not_another_editor_of_it(
    settings, reviewer, second_reviewer
):
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True
    article = ArticleFactory(created_by=reviewer)
    item_save(item=article, by=second_reviewer, data={"title": "别人改过"})
    item_submit(item=article, by=reviewer)

    with pytest.raises(NotAllowedError):
        item_approve(item=article, by=second_reviewer)
    item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


# Attack (b): an inline photo and caption added to a published article, alone.


def test_a_photo_added_inline_to_a_published_article_does_not_go_public_unreviewed(
    client, editor, reviewer
):
    article = published_and_approved(ArticleFactory(created_by=editor), by=reviewer)
    client.force_login(editor)

    client.post(
        change_url(article),
        article_form(article, photos=[{"image": photo_upload("poc.jpg"), "caption": "未经审核"}]),
    )

    assert article.photos.get().caption == "未经审核"
    article.refresh_from_db()
    assert article.state == State.DRAFT
    assert public_status(article) == 404


def test_an_inline_photo_change_keeps_a_revision_with_the_photo(client, editor, reviewer):
    article = published_and_approved(ArticleFactory(created_by=editor), by=reviewer)
    client.force_login(editor)

    client.post(
        change_url(article),
        article_form(article, photos=[{"image": photo_upload(), "caption": "新图注"}]),
    )

    revision = Revision.objects.filter(object_id=article.pk).order_by("-pk").first()
    assert revision.created_by == editor
    assert [photo["caption"] for photo in revision.data["photos"]] == ["新图注"]


def test_an_inline_photo_change_is_audited(client, editor, reviewer):
    article = published_and_approved(ArticleFactory(created_by=editor), by=reviewer)
    client.force_login(editor)

    client.post(
        change_url(article),
        article_form(article, photos=[{"image": photo_upload(), "caption": "新图注"}]),
    )

    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id=article.pk
    ).first()
    assert (entry.action, entry.user, entry.from_state, entry.to_state) == (
        "editorial.item.reopened",
        editor,
        State.PUBLISHED,
        State.DRAFT,
    )


def test_a_reviewer_who_added_a_photo_inline_cannot_approve_the_article(client, editor, reviewer):
    article = published_and_approved(ArticleFactory(created_by=editor), by=ReviewerFactory())
    client.force_login(reviewer)
    client.post(
        change_url(article),
        article_form(article, photos=[{"image": photo_upload(), "caption": "审核员加的图"}]),
    )
    item_submit(item=article, by=editor)

    response = client.post(workflow_url(article, "approve"), {"approve-comment": ""}, follow=True)

    assert CHANGED_SINCE_APPROVAL in messages_of(response)
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_a_photo_cannot_be_changed_inline_while_the_article_awaits_review(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    photo = ArticlePhotoFactory(article=article, caption="原图注")
    client.force_login(editor)
    data = article_form(
        article,
        **{
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "1",
            "photos-0-id": photo.pk,
            "photos-0-article": article.pk,
            "photos-0-caption": "偷改的图注",
            "photos-0-position": "0",
        },
    )

    response = client.post(change_url(article), data, follow=True)

    assert "该内容已在等待审核。" in messages_of(response)
    photo.refresh_from_db()
    assert photo.caption == "原图注"
