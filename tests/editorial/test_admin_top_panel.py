"""The change form's top panel (state, what happens next, why it was sent back, open comments)
and locked items shown read-only."""

import pytest
from django.urls import reverse

from editorial import services
from editorial.models import Revision, State
from tests.admin_forms import article_form
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    ArticlePhotoFactory,
    DonationProjectFactory,
    EditorFactory,
    ReviewerFactory,
)

pytestmark = pytest.mark.django_db

REASON = "请补充到场校友人数。"


def change_url(item):
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])


def workflow_url(item, name):
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_workflow", args=[item.pk, name])


def first_field(html: str) -> int:
    """Where the form's first field set starts in the page."""
    position = html.find("<fieldset")
    assert position > 0
    return position


def sent_back(editor, reviewer, **fields):
    article = ArticleFactory(created_by=editor, **fields)
    services.item_submit(item=article, by=editor)
    return services.item_reject(item=article, by=reviewer, reason=REASON)


def test_the_reason_for_sending_back_is_shown_before_the_fields(client, editor, reviewer):
    article = sent_back(editor, reviewer)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 0 < html.find(REASON) < html.find('name="title"')


def test_a_sent_back_item_says_what_to_do_next_before_the_fields(client, editor, reviewer):
    article = sent_back(editor, reviewer)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 0 < html.find("已退回：请根据意见修改后重新提交。") < first_field(html)


def test_the_reason_is_shown_once_at_the_top_not_again_among_the_open_comments(
    client, editor, reviewer
):
    article = sent_back(editor, reviewer)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    top = html[: first_field(html)]
    assert top.count(REASON) == 1


def test_open_reviewer_comments_are_shown_before_the_fields(client, editor, reviewer):
    article = ArticleFactory(created_by=editor)
    services.item_submit(item=article, by=editor)
    services.item_comment(item=article, by=reviewer, body="标题太长，请缩短。")
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 0 < html.find("标题太长，请缩短。") < first_field(html)


def test_comments_on_an_earlier_submission_are_not_shown_at_the_top(client, editor, reviewer):
    article = sent_back(editor, reviewer)
    services.item_comment(item=article, by=reviewer, body="上一轮的意见")
    services.item_submit(item=article, by=editor)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert "上一轮的意见" not in html[: first_field(html)]


def test_the_reason_leaves_the_top_once_the_item_is_submitted_again(client, editor, reviewer):
    article = sent_back(editor, reviewer)
    services.item_submit(item=article, by=editor)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert REASON not in html[: first_field(html)]


@pytest.mark.parametrize(
    ("state", "next_step"),
    [
        (State.DRAFT, "草稿：完成后请提交审核。"),
        (State.SUBMITTED, "等待审核：审核人将通过或退回。"),
        (State.PUBLISHED, "已发布：保存任何修改（包括照片）都会使其从网站撤下并退回草稿"),
        (State.WITHDRAWN, "已撤回：已从网站撤下。"),
    ],
)
def test_the_state_and_what_happens_next_are_shown_before_the_fields(
    client, editor, state, next_step
):
    article = ArticleFactory(created_by=editor, state=state)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 0 < html.find(next_step) < first_field(html)


def test_a_submission_is_shown_to_its_author_without_editable_fields(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED, title="待审的新闻")
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 'name="title"' not in html
    assert "待审的新闻" in html


def test_a_submission_has_no_save_buttons(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html


def test_a_submission_shows_its_body_rendered_not_as_html_source(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED, body="<p>返校日正文</p>")
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert "<p>返校日正文</p>" in html
    assert "&lt;p&gt;返校日正文" not in html


def test_a_submissions_photos_are_not_editable(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    ArticlePhotoFactory(article=article, caption="合影")
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert "合影" in html
    assert 'name="photos-0-caption"' not in html


def test_the_author_of_a_submission_is_offered_the_recall_button_and_told_why(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    top = html[: first_field(html)]
    assert 'data-transition="recall"' in top
    assert "撤回提交" in top
    assert "如需修改，请先撤回提交" in top


def test_a_reviewer_sees_a_submission_read_only_with_approve_and_send_back(
    client, editor, reviewer
):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    client.force_login(reviewer)
    html = client.get(change_url(article)).content.decode()
    assert 'name="title"' not in html
    assert 'data-transition="approve"' in html
    assert 'data-transition="reject"' in html
    assert 'data-transition="recall"' not in html


def test_recalling_a_submission_makes_its_fields_editable_again(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    client.force_login(editor)
    client.post(workflow_url(article, "recall"))
    article.refresh_from_db()
    assert article.state == State.DRAFT
    html = client.get(change_url(article)).content.decode()
    assert 'name="title"' in html
    assert 'name="_save"' in html


def test_a_draft_keeps_its_editable_fields_and_save_buttons(client, editor):
    article = ArticleFactory(created_by=editor, state=State.DRAFT)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 'name="title"' in html
    assert 'name="_save"' in html


@pytest.mark.parametrize(
    "factory", [ActivityFactory, AlumniProfileFactory, DonationProjectFactory, ArticleFactory]
)
def test_every_content_type_shows_a_submission_read_only(client, office_admin, factory):
    item = factory(state=State.SUBMITTED, created_by=EditorFactory())
    client.force_login(office_admin)
    response = client.get(change_url(item))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="title"' not in html
    assert 'name="_save"' not in html


def test_posting_changes_to_a_submission_is_refused_with_a_message(client, editor):
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED, title="原标题")
    client.force_login(editor)
    response = client.post(change_url(article), article_form(article, title="偷改"), follow=True)
    assert response.status_code == 200
    assert "该内容已在等待审核。" in [str(m) for m in response.context["messages"]]
    article.refresh_from_db()
    assert article.title == "原标题"
    assert not Revision.objects.filter(object_id=article.pk).exists()


def test_a_superuser_cannot_post_changes_to_a_submission_either(client, editor):
    admin = EditorFactory(username="root", is_superuser=True, is_staff=True)
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED, title="原标题")
    client.force_login(admin)
    client.post(change_url(article), article_form(article, title="偷改"))
    article.refresh_from_db()
    assert article.title == "原标题"


def test_the_reason_names_the_reviewer_family_name_first(client, editor):
    reviewer = ReviewerFactory(username="lxz", last_name="林", first_name="晓舟")
    article = sent_back(editor, reviewer)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert 0 < html.find("林晓舟") < first_field(html)


def test_a_read_only_body_is_sanitized_when_shown(client, editor):
    # Stored past the model's save (an import, a raw update): the page still runs no script.
    article = ArticleFactory(created_by=editor, state=State.SUBMITTED)
    type(article).objects.filter(pk=article.pk).update(
        body='<p>正文</p><script>alert("x")</script><img src="x" onerror="alert(1)">'
    )
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert "<p>正文</p>" in html
    assert 'alert("x")' not in html
    assert "onerror" not in html
