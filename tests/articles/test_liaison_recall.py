import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from articles.models import Article
from editorial.models import AuditEntry, State
from editorial.selectors import items_awaiting_review
from tests.factories import ArticleFactory, BranchFactory, LiaisonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, liaison):
    client.force_login(liaison)
    return client


@pytest.fixture
def pending(liaison, liaison_branch):
    return ArticleFactory(
        title="北京校友会年会", branch=liaison_branch, created_by=liaison, state=State.SUBMITTED
    )


def _recall(client, article):
    return client.post(reverse("liaison:recall", args=[article.pk]))


def test_the_submission_page_offers_to_take_a_pending_submission_back(portal, pending):
    page = portal.get(reverse("liaison:detail", args=[pending.pk])).content.decode()

    assert reverse("liaison:recall", args=[pending.pk]) in page


def test_asking_to_take_back_shows_a_confirmation_and_changes_nothing(portal, pending):
    response = portal.get(reverse("liaison:recall", args=[pending.pk]))

    assert response.status_code == 200
    assert "确定撤回审核吗？" in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == State.SUBMITTED


def test_a_liaison_takes_back_their_pending_submission_into_draft(portal, pending, liaison):
    response = _recall(portal, pending)

    assert response.status_code == 302
    assert response.url == reverse("liaison:detail", args=[pending.pk])
    pending.refresh_from_db()
    assert pending.state == State.DRAFT
    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id=pending.pk
    ).first()
    assert (entry.action, entry.from_state, entry.to_state, entry.user) == (
        "editorial.item.recalled",
        State.SUBMITTED,
        State.DRAFT,
        liaison,
    )


def test_a_taken_back_submission_leaves_the_review_queue(portal, pending, reviewer):
    assert pending in items_awaiting_review(user=reviewer)

    _recall(portal, pending)

    assert pending not in items_awaiting_review(user=reviewer)


def test_a_taken_back_submission_can_be_edited_again(portal, pending):
    _recall(portal, pending)

    page = portal.get(reverse("liaison:detail", args=[pending.pk])).content.decode()
    assert reverse("liaison:edit", args=[pending.pk]) in page
    assert reverse("liaison:recall", args=[pending.pk]) not in page


def test_another_liaison_of_the_branch_cannot_take_a_submission_back(
    client, pending, liaison_branch
):
    colleague = LiaisonFactory()
    liaison_branch.liaisons.add(colleague)
    client.force_login(colleague)

    response = _recall(client, pending)

    assert response.status_code == 403
    assert "只有作者本人可以撤回提交。" in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == State.SUBMITTED


def test_a_liaison_of_another_branch_cannot_take_a_submission_back(client, pending):
    stranger = LiaisonFactory()
    BranchFactory(name="广州校友会").liaisons.add(stranger)
    client.force_login(stranger)

    response = _recall(client, pending)

    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.state == State.SUBMITTED


def test_taking_back_a_submission_no_longer_pending_explains_why(portal, pending):
    Article.objects.filter(pk=pending.pk).update(state=State.PUBLISHED)

    response = _recall(portal, pending)

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == State.PUBLISHED
    page = portal.get(response.url).content.decode()
    assert "该内容已发布。" in page
