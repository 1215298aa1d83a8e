"""Who may perform which transition: every role, allowed and refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.actors import SYSTEM
from editorial.errors import NotAllowedError
from editorial.models import AuditEntry, State
from editorial.services import (
    allowed_transitions,
    item_approve,
    item_publish,
    item_recall,
    item_reject,
    item_save,
    item_schedule,
    item_submit,
    item_withdraw,
)
from tests.editorial.conftest import ROLES
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _in_a_week():
    return timezone.now() + timedelta(days=7)


# action: (state the item starts in, the call, the state it ends in)
ACTIONS = {
    "save": (State.DRAFT, lambda i, u: item_save(item=i, by=u, data={"title": "新"}), State.DRAFT),
    "submit": (State.DRAFT, lambda i, u: item_submit(item=i, by=u), State.SUBMITTED),
    "recall": (State.SUBMITTED, lambda i, u: item_recall(item=i, by=u), State.DRAFT),
    "approve": (State.SUBMITTED, lambda i, u: item_approve(item=i, by=u), State.PUBLISHED),
    "reject": (
        State.SUBMITTED,
        lambda i, u: item_reject(item=i, by=u, reason="缺"),
        State.REJECTED,
    ),
    "schedule": (
        State.SCHEDULED,
        lambda i, u: item_schedule(item=i, by=u, publish_at=_in_a_week()),
        State.SCHEDULED,
    ),
    "publish": (State.SCHEDULED, lambda i, u: item_publish(item=i, by=u), State.PUBLISHED),
    "withdraw": (State.PUBLISHED, lambda i, u: item_withdraw(item=i, by=u), State.WITHDRAWN),
}

EDITORS = {"editor", "reviewer", "office_admin", "superuser"}
REVIEWERS = {"reviewer", "office_admin", "superuser"}
# Who may act on an item written by someone else (liaisons act only on their own items).
MAY = {
    "save": EDITORS,
    "submit": EDITORS,
    "recall": {"superuser"},
    "approve": REVIEWERS,
    "reject": REVIEWERS,
    "schedule": REVIEWERS,
    "publish": REVIEWERS,
    "withdraw": REVIEWERS,
}
ALLOWED_CASES = [(a, r) for a in ACTIONS for r in ROLES if r in MAY[a]]
REFUSED_CASES = [(a, r) for a in ACTIONS for r in ROLES if r not in MAY[a]]


@pytest.mark.parametrize(("action", "role"), ALLOWED_CASES)
def test_role_may_perform_transition_on_someone_elses_item(action, role, author, user_in_role):
    start, call, end = ACTIONS[action]
    article = ArticleFactory(state=start, created_by=author)
    call(article, user_in_role(role))
    article.refresh_from_db()
    assert article.state == end


@pytest.mark.parametrize(("action", "role"), REFUSED_CASES)
def test_role_is_refused_transition_and_nothing_changes(action, role, author, user_in_role):
    start, call, _end = ACTIONS[action]
    article = ArticleFactory(state=start, created_by=author, title="原标题")
    with pytest.raises(NotAllowedError):
        call(article, user_in_role(role))
    article.refresh_from_db()
    assert (article.state, article.title) == (start, "原标题")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("action", ["save", "submit", "recall"])
def test_liaison_may_work_on_own_item(action, liaison):
    start, call, end = ACTIONS[action]
    article = ArticleFactory(state=start, created_by=liaison)
    call(article, liaison)
    article.refresh_from_db()
    assert article.state == end


@pytest.mark.parametrize("action", ["approve", "reject", "publish", "withdraw"])
def test_liaison_cannot_review_own_item(action, liaison):
    start, call, _end = ACTIONS[action]
    article = ArticleFactory(state=start, created_by=liaison)
    with pytest.raises(NotAllowedError):
        call(article, liaison)


def test_author_may_recall_own_submission(author):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    item_recall(item=article, by=author)
    article.refresh_from_db()
    assert article.state == State.DRAFT


def test_inactive_reviewer_is_refused(author, reviewer):
    reviewer.is_active = False
    reviewer.save()
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with pytest.raises(NotAllowedError):
        item_approve(item=article, by=reviewer)


def test_scheduler_publishes_without_a_user(author):
    article = ArticleFactory(state=State.SCHEDULED, created_by=author)
    item_publish(item=article, by=SYSTEM)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


@pytest.mark.parametrize(
    ("role", "state", "expected"),
    [
        ("editor", State.DRAFT, ["submit"]),
        ("editor", State.SUBMITTED, []),
        ("editor", State.PUBLISHED, []),
        ("reviewer", State.DRAFT, ["submit"]),
        ("reviewer", State.SUBMITTED, ["approve", "reject"]),
        ("reviewer", State.SCHEDULED, ["schedule", "publish", "withdraw"]),
        ("reviewer", State.PUBLISHED, ["withdraw"]),
        ("reviewer", State.REJECTED, ["submit"]),
        ("reviewer", State.WITHDRAWN, ["submit", "publish"]),
        ("office_admin", State.SUBMITTED, ["approve", "reject"]),
        ("superuser", State.SUBMITTED, ["recall", "approve", "reject"]),
        ("liaison", State.DRAFT, []),
        ("plain", State.DRAFT, []),
        ("anonymous", State.SUBMITTED, []),
    ],
)
def test_allowed_transitions_for_someone_elses_item(role, state, expected, author, user_in_role):
    article = ArticleFactory(state=state, created_by=author)
    assert allowed_transitions(item=article, user=user_in_role(role)) == expected


def test_allowed_transitions_offer_the_author_recall_but_not_approve(reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=reviewer)
    assert allowed_transitions(item=article, user=reviewer) == ["recall", "reject"]


def test_allowed_transitions_let_a_liaison_submit_own_draft(liaison):
    article = ArticleFactory(state=State.DRAFT, created_by=liaison)
    assert allowed_transitions(item=article, user=liaison) == ["submit"]
