"""What each transition does to the item and its audit trail, and which moves are refused."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from editorial.actors import SYSTEM
from editorial.errors import EditorialError, InvalidValueError, NotAllowedError, TransitionError
from editorial.models import AuditEntry, ReviewComment, State
from editorial.services import (
    item_approve,
    item_comment,
    item_publish,
    item_recall,
    item_reject,
    item_save,
    item_schedule,
    item_submit,
    item_withdraw,
)
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_author(db, settings):
    """Someone allowed everything, so only the state can refuse."""
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True
    return UserFactory(username="root", is_superuser=True)


def _trail(item):
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(item), object_id=item.pk
        ).order_by("pk")
    )


def _summary(entries):
    return [(e.action, e.from_state, e.to_state, e.user and e.user.username) for e in entries]


def test_submit_moves_draft_to_submitted_and_audits_comment(author):
    article = ArticleFactory(created_by=author)
    item_submit(item=article, by=author, comment="请审核")
    [entry] = _trail(article)
    assert _summary([entry]) == [("editorial.item.submitted", "draft", "submitted", "author")]
    assert entry.comment == "请审核"


@pytest.mark.parametrize("state", [State.REJECTED, State.WITHDRAWN])
def test_sent_back_or_withdrawn_item_can_be_submitted_again(state, author):
    article = ArticleFactory(state=state, created_by=author)
    item_submit(item=article, by=author)
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_submit_updates_the_callers_instance(author):
    article = ArticleFactory(created_by=author)
    returned = item_submit(item=article, by=author)
    assert article.state == returned.state == State.SUBMITTED


def test_recall_audits_the_move_back_to_draft(author):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    item_recall(item=article, by=author)
    assert _summary(_trail(article)) == [
        ("editorial.item.recalled", "submitted", "draft", "author")
    ]


def test_approve_without_publish_time_publishes_at_once(author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    item_approve(item=article, by=reviewer, comment="很好")
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    assert article.published_at is not None
    assert _summary(_trail(article)) == [
        ("editorial.item.approved", "submitted", "published", "reviewer"),
    ]
    assert _trail(article)[0].comment == "很好"


def test_approve_with_future_publish_time_schedules(author, reviewer):
    when = timezone.now() + timedelta(hours=3)
    article = ArticleFactory(state=State.SUBMITTED, created_by=author, publish_at=when)
    item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert (article.state, article.published_at) == (State.SCHEDULED, None)
    assert _summary(_trail(article)) == [
        ("editorial.item.approved", "submitted", "scheduled", "reviewer")
    ]


def test_approve_with_past_publish_time_publishes(author, reviewer):
    when = timezone.now() - timedelta(hours=3)
    article = ArticleFactory(state=State.SUBMITTED, created_by=author, publish_at=when)
    item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


@pytest.mark.parametrize(
    "factory", [ArticleFactory, ActivityFactory, AlumniProfileFactory, DonationProjectFactory]
)
def test_every_content_model_goes_through_review(factory, author, reviewer):
    item = factory(state=State.SUBMITTED, created_by=author)
    item_approve(item=item, by=reviewer)
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


def test_reviewer_cannot_approve_own_submission(reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=reviewer)
    with pytest.raises(NotAllowedError) as excinfo:
        item_approve(item=article, by=reviewer)
    assert str(excinfo.value) == "您不能审核通过自己提交的内容。"
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_self_approval_allowed_when_the_office_turns_it_on(settings, reviewer):
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True
    article = ArticleFactory(state=State.SUBMITTED, created_by=reviewer)
    item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_approving_twice_names_the_current_state_in_chinese(author, reviewer, second_reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    item_approve(item=article, by=reviewer)
    with pytest.raises(TransitionError) as excinfo:
        item_approve(item=article, by=second_reviewer)
    assert str(excinfo.value) == "该内容已发布。"
    assert excinfo.value.state == State.PUBLISHED


def test_transition_error_speaks_english_when_asked(author, reviewer):
    article = ArticleFactory(state=State.APPROVED, created_by=author)
    with pytest.raises(TransitionError) as excinfo:
        item_approve(item=article, by=reviewer)
    with translation.override("en"):
        assert str(excinfo.value) == "This item is already approved."


@pytest.mark.parametrize(
    ("state", "call"),
    [
        (State.DRAFT, lambda i, u: item_approve(item=i, by=u)),
        (State.DRAFT, lambda i, u: item_publish(item=i, by=u)),
        (State.SUBMITTED, lambda i, u: item_submit(item=i, by=u)),
        (State.PUBLISHED, lambda i, u: item_reject(item=i, by=u, reason="不行")),
        (State.PUBLISHED, lambda i, u: item_recall(item=i, by=u)),
        (State.REJECTED, lambda i, u: item_withdraw(item=i, by=u)),
        (State.DRAFT, lambda i, u: item_withdraw(item=i, by=u)),
    ],
)
def test_illegal_move_raises_transition_error_and_leaves_no_trace(state, call, superuser_author):
    article = ArticleFactory(state=state, created_by=superuser_author)
    with pytest.raises(TransitionError):
        call(article, superuser_author)
    article.refresh_from_db()
    assert article.state == state
    assert _trail(article) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_needs_a_reason(reason, author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with pytest.raises(InvalidValueError) as excinfo:
        item_reject(item=article, by=reviewer, reason=reason)
    assert isinstance(excinfo.value, EditorialError)
    assert isinstance(excinfo.value, ValueError)
    assert str(excinfo.value) == "请填写退回理由。"
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_reject_keeps_the_reason_as_audit_comment_and_review_comment(author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    item_reject(item=article, by=reviewer, reason="  请补充活动照片  ")
    [entry] = _trail(article)
    assert _summary([entry]) == [("editorial.item.rejected", "submitted", "rejected", "reviewer")]
    assert entry.comment == "请补充活动照片"
    comment = ReviewComment.objects.get()
    assert (comment.item, comment.author, comment.body) == (article, reviewer, "请补充活动照片")


def test_schedule_sets_the_time_and_state(author, reviewer):
    when = timezone.now() + timedelta(days=2)
    article = ArticleFactory(
        state=State.SCHEDULED, created_by=author, publish_at=timezone.now() + timedelta(days=1)
    )
    item_schedule(item=article, by=reviewer, publish_at=when)
    article.refresh_from_db()
    assert (article.state, article.publish_at) == (State.SCHEDULED, when)
    assert _trail(article)[-1].action == "editorial.item.scheduled"


def test_scheduled_item_can_be_moved_to_another_time(author, reviewer):
    later = timezone.now() + timedelta(days=5)
    article = ArticleFactory(
        state=State.SCHEDULED, created_by=author, publish_at=timezone.now() + timedelta(days=1)
    )
    item_schedule(item=article, by=reviewer, publish_at=later)
    article.refresh_from_db()
    assert article.publish_at == later


def test_schedule_refuses_a_past_time(author, reviewer):
    tomorrow = timezone.now() + timedelta(days=1)
    article = ArticleFactory(state=State.SCHEDULED, created_by=author, publish_at=tomorrow)
    with pytest.raises(InvalidValueError) as excinfo:
        item_schedule(item=article, by=reviewer, publish_at=timezone.now() - timedelta(minutes=1))
    assert str(excinfo.value) == "请选择一个将来的发布时间。"
    article.refresh_from_db()
    assert (article.state, article.publish_at) == (State.SCHEDULED, tomorrow)


def test_republishing_keeps_the_first_publication_time(author, reviewer):
    first = timezone.now() - timedelta(days=30)
    article = ArticleFactory(state=State.WITHDRAWN, created_by=author, published_at=first)
    item_publish(item=article, by=reviewer)
    article.refresh_from_db()
    assert (article.state, article.published_at) == (State.PUBLISHED, first)


def test_scheduler_publication_is_audited_without_a_user(author):
    article = ArticleFactory(state=State.SCHEDULED, created_by=author)
    item_publish(item=article, by=SYSTEM)
    assert _summary(_trail(article)) == [
        ("editorial.item.published", "scheduled", "published", None)
    ]


@pytest.mark.parametrize("state", [State.SCHEDULED, State.PUBLISHED])
def test_withdraw_takes_the_item_down_with_the_reason(state, author, reviewer):
    article = ArticleFactory(state=state, created_by=author)
    item_withdraw(item=article, by=reviewer, reason="信息有误")
    article.refresh_from_db()
    assert article.state == State.WITHDRAWN
    assert _trail(article)[-1].comment == "信息有误"


def test_reviewer_comment_is_stored_on_the_item(author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    comment = item_comment(item=article, by=reviewer, body="第二段需要核实日期")
    assert (comment.item, comment.author, comment.body) == (article, reviewer, "第二段需要核实日期")


def test_editor_cannot_comment(author, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with pytest.raises(NotAllowedError):
        item_comment(item=article, by=editor, body="意见")
    assert not ReviewComment.objects.exists()


def test_empty_comment_is_refused(author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with pytest.raises(InvalidValueError):
        item_comment(item=article, by=reviewer, body="  ")


def test_model_shortcut_calls_the_service(author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    article.approve(by=reviewer)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_editing_a_withdrawn_item_reopens_it_as_a_draft(editor, reviewer):
    article = ArticleFactory(state=State.WITHDRAWN, created_by=editor)

    item_save(item=article, by=editor, data={"title": "改过的标题"})

    article.refresh_from_db()
    assert article.state == State.DRAFT
    assert AuditEntry.objects.filter(
        object_id=article.pk, action="editorial.item.reopened", to_state=State.DRAFT
    ).exists()
    with pytest.raises(TransitionError):
        item_publish(item=article, by=reviewer)
