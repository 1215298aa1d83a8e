"""The review queue, the trails of an item, and the registry of content models."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from activities.models import Activity
from alumni.models import AlumniProfile
from articles.models import Article
from donations.models import DonationProject
from editorial.models import State
from editorial.registry import content_models, get_item
from editorial.selectors import audit_trail, items_awaiting_review, review_comments, revisions
from editorial.services import item_comment, item_reject, item_save, item_submit
from surveys.models import Survey
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
)

pytestmark = pytest.mark.django_db


def _submitted_at(factory, minutes_ago, **kwargs):
    item = factory(state=State.SUBMITTED, **kwargs)
    when = timezone.now() - timedelta(minutes=minutes_ago)
    type(item).objects.filter(pk=item.pk).update(updated_at=when)
    return item


def test_registry_finds_the_content_models():
    assert set(content_models()) == {Article, Activity, AlumniProfile, DonationProject, Survey}


def test_get_item_returns_the_item_of_a_content_type():
    activity = ActivityFactory()
    content_type = ContentType.objects.get_for_model(Activity)
    assert get_item(content_type.pk, activity.pk) == activity


def test_get_item_refuses_a_model_outside_the_workflow():
    content_type = ContentType.objects.get_for_model(Group)
    with pytest.raises(LookupError):
        get_item(content_type.pk, 1)


def test_queue_holds_submitted_items_of_every_model_longest_waiting_first():
    newest = _submitted_at(ArticleFactory, 1)
    oldest = _submitted_at(DonationProjectFactory, 30)
    middle = _submitted_at(ActivityFactory, 10)
    ArticleFactory(state=State.DRAFT)
    ArticleFactory(state=State.PUBLISHED)
    assert items_awaiting_review() == [oldest, middle, newest]


def test_queue_for_a_reviewer_leaves_out_their_own_items(reviewer, author):
    theirs = _submitted_at(ArticleFactory, 5, created_by=author)
    _submitted_at(ArticleFactory, 3, created_by=reviewer)
    assert items_awaiting_review(user=reviewer) == [theirs]


def test_queue_for_an_editor_is_empty(editor, author):
    _submitted_at(ArticleFactory, 5, created_by=author)
    assert items_awaiting_review(user=editor) == []


@pytest.mark.parametrize("per_model", [1, 3])
def test_queue_takes_one_query_per_content_model(per_model, django_assert_num_queries):
    for factory in (ArticleFactory, ActivityFactory, AlumniProfileFactory, DonationProjectFactory):
        for _ in range(per_model):
            item = factory(state=State.SUBMITTED)
    ContentType.objects.get_for_model(item)
    # One query per content model, whether it has one item waiting, three or none (surveys).
    with django_assert_num_queries(len(content_models())):
        items = items_awaiting_review()
        assert {i.created_by.username for i in items}
    assert len(items) == 4 * per_model


def test_audit_trail_is_newest_first(author, reviewer):
    article = ArticleFactory(created_by=author)
    item_submit(item=article, by=author)
    item_reject(item=article, by=reviewer, reason="需要修改")
    trail = list(audit_trail(item=article))
    assert [e.action for e in trail] == ["editorial.item.rejected", "editorial.item.submitted"]


def test_audit_trail_of_one_item_leaves_out_others(author):
    article, other = ArticleFactory(created_by=author), ArticleFactory(created_by=author)
    item_submit(item=other, by=author)
    assert list(audit_trail(item=article)) == []


def test_review_comments_are_oldest_first(author, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    item_comment(item=article, by=reviewer, body="第一条")
    item_comment(item=article, by=reviewer, body="第二条")
    assert [c.body for c in review_comments(item=article)] == ["第一条", "第二条"]


def test_revisions_are_newest_first(author):
    article = ArticleFactory(created_by=author)
    item_save(item=article, by=author, data={"title": "第一版"})
    item_save(item=article, by=author, data={"title": "第二版"})
    assert [r.data["title"] for r in revisions(item=article)] == ["第二版", "第一版"]


@pytest.mark.parametrize("count", [1, 4])
def test_trails_load_their_users_in_one_query(count, author, reviewer, django_assert_num_queries):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    for n in range(count):
        item_comment(item=article, by=reviewer, body=f"意见{n}")
    with django_assert_num_queries(1):
        assert all(c.author.username == "reviewer" for c in review_comments(item=article))
