"""The shared editorial admin, exercised through the article admin."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from editorial import services
from editorial.models import AuditEntry, ReviewComment, Revision, State
from tests.admin_forms import article_form
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    ArticlePhotoFactory,
    DonationProjectFactory,
    EditorFactory,
)

pytestmark = pytest.mark.django_db


def change_url(item):
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])


def item_url(item, view, *args):
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[item.pk, *args])


def audit_actions(item):
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(item), object_id=item.pk
        ).values_list("action", flat=True)
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# Transition buttons


def test_reviewer_sees_approve_and_send_back_buttons_on_a_submission(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    html = client.get(change_url(article)).content.decode()
    assert item_url(article, "workflow", "approve") in html
    assert item_url(article, "workflow", "reject") in html


def test_editor_sees_no_approve_button(client, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=EditorFactory())
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert item_url(article, "workflow", "approve") not in html
    assert item_url(article, "workflow", "reject") not in html


def test_author_sees_submit_button_on_own_draft(client, editor):
    article = ArticleFactory(created_by=editor)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert item_url(article, "workflow", "submit") in html


def test_posting_approve_publishes_and_records_the_reviewer(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    response = client.post(item_url(article, "workflow", "approve"), {"approve-comment": "好"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    entry = AuditEntry.objects.get(action="editorial.item.approved", object_id=article.pk)
    assert (entry.user, entry.from_state, entry.comment) == (reviewer, State.SUBMITTED, "好")


def test_approve_with_future_publish_time_schedules(client, reviewer, editor):
    article = ArticleFactory(
        state=State.SUBMITTED, created_by=editor, publish_at=timezone.now() + timedelta(days=1)
    )
    client.force_login(reviewer)
    client.post(item_url(article, "workflow", "approve"))
    article.refresh_from_db()
    assert article.state == State.SCHEDULED


def test_reject_without_reason_shows_error_and_changes_nothing(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    response = client.post(
        item_url(article, "workflow", "reject"), {"reject-reason": "  "}, follow=True
    )
    assert "请填写退回理由。" in " ".join(messages_of(response))
    article.refresh_from_db()
    assert article.state == State.SUBMITTED
    assert audit_actions(article) == []


def test_reject_with_reason_sends_back_and_keeps_the_reason_as_comment(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    client.post(item_url(article, "workflow", "reject"), {"reject-reason": "标题太长"})
    article.refresh_from_db()
    assert article.state == State.REJECTED
    assert ReviewComment.objects.get(object_id=article.pk).body == "标题太长"


def test_editor_posting_approve_is_refused_with_a_message(client, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=EditorFactory())
    client.force_login(editor)
    response = client.post(item_url(article, "workflow", "approve"), follow=True)
    assert "只有审核员可以通过审核。" in " ".join(messages_of(response))
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_schedule_sets_the_publication_time(client, reviewer, editor):
    article = ArticleFactory(
        state=State.SCHEDULED, created_by=editor, publish_at=timezone.now() + timedelta(hours=1)
    )
    when = timezone.localtime() + timedelta(days=2)
    client.force_login(reviewer)
    client.post(
        item_url(article, "workflow", "schedule"),
        {"schedule-publish_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    article.refresh_from_db()
    assert article.state == State.SCHEDULED
    assert article.publish_at == when.replace(second=0, microsecond=0)


def test_transition_urls_refuse_get(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    assert client.get(item_url(article, "workflow", "approve")).status_code == 405
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


# Saving the form


def test_adding_an_article_makes_a_draft_owned_by_the_editor(client, editor):
    client.force_login(editor)
    data = article_form(ArticleFactory.build(category=None, department=None), title="新文章")
    response = client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    article = ArticleFactory._meta.model.objects.get(title="新文章")
    assert (article.state, article.created_by) == (State.DRAFT, editor)


def test_editing_a_draft_keeps_a_revision(client, editor):
    article = ArticleFactory(created_by=editor)
    client.force_login(editor)
    client.post(change_url(article), article_form(article, title="改过的标题"))
    article.refresh_from_db()
    assert article.title == "改过的标题"
    assert Revision.objects.filter(object_id=article.pk).count() == 1


def test_editing_a_published_article_takes_it_back_to_draft_for_review(client, editor):
    article = ArticleFactory(state=State.PUBLISHED, created_by=editor, title="原标题")
    client.force_login(editor)
    client.post(change_url(article), article_form(article, title="改过的标题"))
    article.refresh_from_db()
    assert (article.title, article.state) == ("改过的标题", State.DRAFT)
    assert "editorial.item.reopened" in audit_actions(article)
    assert Revision.objects.filter(object_id=article.pk, created_by=editor).count() == 1


def test_a_published_articles_form_warns_that_saving_takes_it_off_the_site(client, editor):
    article = ArticleFactory(state=State.PUBLISHED, created_by=editor)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert "保存任何修改（包括照片）都会使其从网站撤下并退回草稿" in html


def test_the_editor_is_told_the_edited_article_left_the_site(client, editor):
    article = ArticleFactory(state=State.PUBLISHED, created_by=editor, title="原标题")
    client.force_login(editor)
    response = client.post(change_url(article), article_form(article, title="新标题"), follow=True)
    assert "“新标题”已从网站撤下并退回草稿" in " ".join(messages_of(response))


def test_editing_a_submission_awaiting_review_is_refused(client, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor, title="原标题")
    client.force_login(editor)
    response = client.post(change_url(article), article_form(article, title="偷改"), follow=True)
    assert "该内容已在等待审核。" in " ".join(messages_of(response))
    article.refresh_from_db()
    assert article.title == "原标题"
    assert not Revision.objects.filter(object_id=article.pk).exists()


# Filters


def test_my_drafts_filter_shows_only_my_drafts(client, editor):
    mine = ArticleFactory(created_by=editor, title="我的草稿")
    ArticleFactory(title="别人的草稿")
    ArticleFactory(created_by=editor, state=State.SUBMITTED, title="我的待审")
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_changelist"), {"queue": "my_drafts"})
    assert [a.pk for a in response.context["cl"].result_list] == [mine.pk]


def test_waiting_for_my_review_filter_leaves_out_my_own(client, reviewer):
    theirs = ArticleFactory(state=State.SUBMITTED)
    ArticleFactory(state=State.SUBMITTED, created_by=reviewer)
    ArticleFactory(state=State.DRAFT)
    client.force_login(reviewer)
    response = client.get(reverse("admin:articles_article_changelist"), {"queue": "to_review"})
    assert [a.pk for a in response.context["cl"].result_list] == [theirs.pk]


def test_changelist_shows_a_status_badge(client, editor):
    ArticleFactory(state=State.REJECTED)
    client.force_login(editor)
    html = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert 'data-state="rejected"' in html
    assert "已退回" in html


# Bulk approval


def test_bulk_approve_skips_the_reviewers_own_items_and_says_why(client, reviewer, editor):
    others = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    own = ArticleFactory(state=State.SUBMITTED, created_by=reviewer, title="自己写的")
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "approve_selected", "_selected_action": [others.pk, own.pk]},
        follow=True,
    )
    others.refresh_from_db()
    own.refresh_from_db()
    assert (others.state, own.state) == (State.PUBLISHED, State.SUBMITTED)
    text = " ".join(messages_of(response))
    assert "“自己写的”" in text
    assert "您不能审核通过自己提交的内容。" in text


def test_bulk_approve_is_not_offered_to_editors(client, editor):
    ArticleFactory()
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_changelist"))
    assert "approve_selected" not in response.content.decode()


# Comments and the audit trail


def test_reviewer_adds_a_comment(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    client.post(item_url(article, "comment"), {"body": "第二段请补充时间"})
    assert ReviewComment.objects.get(object_id=article.pk).author == reviewer
    html = client.get(change_url(article)).content.decode()
    assert "第二段请补充时间" in html


def test_change_form_shows_the_audit_trail(client, reviewer, editor):
    article = ArticleFactory(created_by=editor)
    services.item_submit(item=article, by=editor)
    client.force_login(reviewer)
    html = client.get(change_url(article)).content.decode()
    assert 'id="editorial-audit-trail"' in html
    assert "草稿 → 待审核" in html


# Revisions, preview


def test_revision_diff_shows_the_changed_words(client, editor):
    article = ArticleFactory(created_by=editor, body="<p>校友返校日在五月举行。</p>")
    services.item_save(item=article, by=editor)
    article.body = "<p>校友返校日在十月举行。</p>"
    services.item_save(item=article, by=editor)
    client.force_login(editor)
    html = client.get(item_url(article, "revisions")).content.decode()
    assert "<del>五</del>" in html
    assert "<ins>十</ins>" in html


def test_restoring_a_revision_brings_back_its_title_as_a_draft(client, editor):
    article = ArticleFactory(created_by=editor, title="第一版")
    services.item_save(item=article, by=editor)
    first = Revision.objects.get(object_id=article.pk)
    article.title = "第二版"
    services.item_save(item=article, by=editor)
    client.force_login(editor)
    client.post(item_url(article, "restore", first.pk))
    article.refresh_from_db()
    assert (article.title, article.state) == ("第一版", State.DRAFT)


def test_preview_shows_the_item_in_a_phone_frame(client, editor):
    article = ArticleFactory(created_by=editor, title="预览标题", body="<p>预览正文</p>")
    client.force_login(editor)
    response = client.get(item_url(article, "preview"))
    html = response.content.decode()
    assert 'id="wechat-preview"' in html
    assert "预览正文" in html
    assert item_url(article, "public_preview") in html


@pytest.mark.parametrize("factory", [ArticleFactory, ActivityFactory, DonationProjectFactory])
def test_public_preview_renders_a_draft_with_the_site_template(client, editor, factory):
    item = factory(created_by=editor, title="草稿预览")
    client.force_login(editor)
    response = client.get(item_url(item, "public_preview"))
    assert response.status_code == 200
    assert "草稿预览" in response.content.decode()


def test_public_preview_of_an_article_shows_its_body_and_photos(client, editor):
    article = ArticleFactory(created_by=editor, body="<p>草稿正文第一段</p>")
    ArticlePhotoFactory(article=article, caption="合影留念")
    client.force_login(editor)

    page = client.get(item_url(article, "public_preview")).content.decode()

    assert "草稿正文第一段" in page
    assert "合影留念" in page


# Review queue and the dashboard


def test_review_queue_lists_submissions_of_every_type(client, reviewer):
    ArticleFactory(state=State.SUBMITTED, title="待审文章")
    ActivityFactory(state=State.SUBMITTED, title="待审活动")
    ArticleFactory(state=State.DRAFT, title="还是草稿")
    client.force_login(reviewer)
    html = client.get(reverse("admin:editorial_review_queue")).content.decode()
    assert "待审文章" in html
    assert "待审活动" in html
    assert "还是草稿" not in html


def test_dashboard_tells_a_reviewer_how_many_wait(client, reviewer):
    ArticleFactory(state=State.SUBMITTED)
    ActivityFactory(state=State.SUBMITTED)
    ArticleFactory(state=State.SUBMITTED, created_by=reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("admin:index"))
    html = response.content.decode()
    assert "等待您审核" in html
    assert '<td class="waiting-count">2</td>' in html


def test_dashboard_lists_an_editors_sent_back_items(client, editor):
    ArticleFactory(state=State.REJECTED, created_by=editor, title="被退回的稿子")
    ArticleFactory(state=State.REJECTED, title="别人的退稿")
    client.force_login(editor)
    html = client.get(reverse("admin:index")).content.decode()
    assert "被退回的稿子" in html
    assert "别人的退稿" not in html


def test_submitting_tells_the_editor_what_wechat_would_refuse(client, editor):
    article = ArticleFactory(created_by=editor, body="")  # no body, no cover: WeChat refuses
    client.force_login(editor)

    response = client.post(item_url(article, "workflow", "submit"), follow=True)

    article.refresh_from_db()
    assert article.state == State.SUBMITTED
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert any(w.startswith("微信将拒收此内容") and "封面" in w for w in warnings)


def test_a_published_item_offers_a_push_to_wechat_to_an_editor(client, editor):
    article = ArticleFactory(state=State.PUBLISHED)
    client.force_login(editor)

    response = client.get(change_url(article))

    push_url = reverse("admin:wechat_push_single", args=[f"articles.article:{article.pk}"])
    assert push_url in response.content.decode()


def test_a_draft_offers_no_push_to_wechat(client, editor):
    article = ArticleFactory(state=State.DRAFT, created_by=editor)
    client.force_login(editor)

    response = client.get(change_url(article))

    assert "wechat/push/single" not in response.content.decode()
