"""Scheduled items are published by the beat task when their time comes, exactly once."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from editorial.models import AuditEntry, State
from editorial.services import items_publish_due
from editorial.tasks import items_publish_due_task
from tests.factories import ActivityFactory, ArticleFactory, DonationProjectFactory

pytestmark = pytest.mark.django_db


def _scheduled(factory=ArticleFactory, *, at):
    return factory(state=State.SCHEDULED, publish_at=at)


def test_due_item_is_published_and_future_one_waits():
    now = timezone.now()
    due = _scheduled(at=now - timedelta(minutes=1))
    later = _scheduled(at=now + timedelta(minutes=10))
    assert items_publish_due(now=now) == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.state, later.state) == (State.PUBLISHED, State.SCHEDULED)
    assert due.published_at is not None


def test_item_is_published_when_its_time_comes():
    now = timezone.now()
    article = _scheduled(at=now + timedelta(hours=1))
    items_publish_due(now=now)
    items_publish_due(now=now + timedelta(hours=1))
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_running_twice_publishes_once():
    article = _scheduled(at=timezone.now() - timedelta(minutes=1))
    assert items_publish_due() == 1
    assert items_publish_due() == 0
    entry = AuditEntry.objects.get(action="editorial.item.published")
    assert (entry.item, entry.user, entry.from_state) == (article, None, State.SCHEDULED)


def test_due_items_of_every_content_model_are_published():
    past = timezone.now() - timedelta(minutes=1)
    items = [
        _scheduled(f, at=past) for f in (ArticleFactory, ActivityFactory, DonationProjectFactory)
    ]
    assert items_publish_due() == 3
    for item in items:
        item.refresh_from_db()
        assert item.state == State.PUBLISHED


def test_unscheduled_item_with_past_time_is_left_alone():
    article = ArticleFactory(state=State.WITHDRAWN, publish_at=timezone.now() - timedelta(hours=1))
    assert items_publish_due() == 0
    article.refresh_from_db()
    assert article.state == State.WITHDRAWN


def test_more_items_than_a_batch_are_all_published(monkeypatch):
    monkeypatch.setattr("editorial.services.PUBLISH_DUE_BATCH", 2)
    past = timezone.now() - timedelta(minutes=1)
    for _ in range(5):
        _scheduled(at=past)
    assert items_publish_due() == 5
    assert not ArticleFactory._meta.model.objects.filter(state=State.SCHEDULED).exists()


def test_task_publishes_due_items(django_capture_on_commit_callbacks):
    article = _scheduled(at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert items_publish_due_task.apply().get() == 1
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_beat_schedule_names_the_task():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert items_publish_due_task.name == "editorial.tasks.items_publish_due_task"
    assert items_publish_due_task.name in names
