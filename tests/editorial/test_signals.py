"""Signals leave only after commit, once per transition, with the item and the user."""

from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.errors import TransitionError
from editorial.models import State
from editorial.services import (
    item_approve,
    item_publish,
    item_reject,
    item_schedule,
    item_submit,
    item_withdraw,
)
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_nothing_is_sent_before_commit(author, received, django_capture_on_commit_callbacks):
    article = ArticleFactory(created_by=author)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item_submit(item=article, by=author)
    assert received == []
    assert len(callbacks) >= 1


def test_submit_sends_item_submitted_with_item_and_user(
    author, received, django_capture_on_commit_callbacks
):
    article = ArticleFactory(created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        item_submit(item=article, by=author)
    [(name, kwargs)] = received
    assert name == "item_submitted"
    assert (kwargs["item"], kwargs["by"], kwargs["sender"]) == (article, author, type(article))


def test_approve_sends_approved_then_published(
    author, reviewer, received, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        item_approve(item=article, by=reviewer)
    assert [name for name, _ in received] == ["item_approved", "item_published"]
    assert received[1][1]["item"].state == State.PUBLISHED


def test_approve_for_later_sends_approved_then_scheduled(
    author, reviewer, received, django_capture_on_commit_callbacks
):
    article = ArticleFactory(
        state=State.SUBMITTED, created_by=author, publish_at=timezone.now() + timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        item_approve(item=article, by=reviewer)
    assert [name for name, _ in received] == ["item_approved", "item_scheduled"]


def test_reject_sends_the_reason(author, reviewer, received, django_capture_on_commit_callbacks):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        item_reject(item=article, by=reviewer, reason="标题太长")
    [(name, kwargs)] = received
    assert (name, kwargs["reason"], kwargs["by"]) == ("item_rejected", "标题太长", reviewer)


@pytest.mark.parametrize(
    ("state", "call", "signal"),
    [
        (
            State.SCHEDULED,
            lambda i, u: item_schedule(item=i, by=u, publish_at=timezone.now() + timedelta(days=1)),
            "item_scheduled",
        ),
        (State.SCHEDULED, lambda i, u: item_publish(item=i, by=u), "item_published"),
        (State.PUBLISHED, lambda i, u: item_withdraw(item=i, by=u), "item_withdrawn"),
    ],
)
def test_each_transition_sends_its_signal(
    state, call, signal, author, reviewer, received, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=state, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        call(article, reviewer)
    assert [name for name, _ in received] == [signal]


def test_refused_transition_sends_nothing(
    author, reviewer, received, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=State.DRAFT, created_by=author)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionError):
        item_approve(item=article, by=reviewer)
    assert received == []
