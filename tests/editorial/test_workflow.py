"""The workflow table: one declaration that the services, the admin buttons and the docs read."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from editorial import workflow
from editorial.actors import SYSTEM
from editorial.errors import NotAllowedError, TransitionError
from editorial.models import AuditEntry, State
from editorial.publishing import item_publishable, pushable_items
from editorial.services import (
    item_approve,
    item_publish,
    item_save,
    item_withdraw,
    revision_restore,
)
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _buttons(client, item) -> list[str]:
    opts = item._meta
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])
    )
    assert response.status_code == 200
    return re.findall(r'data-transition="([a-z]+)"', response.content.decode())


def _actions(item) -> list[str]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(item), object_id=item.pk
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_reviewer_sees_approve_and_reject_on_a_submitted_item(client, reviewer, editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    client.force_login(reviewer)
    assert _buttons(client, article) == ["approve", "reject"]


def test_reviewer_sees_no_approve_on_a_draft(client, reviewer, editor):
    article = ArticleFactory(state=State.DRAFT, created_by=editor)
    client.force_login(reviewer)
    assert _buttons(client, article) == ["submit"]


def test_a_transition_taken_out_of_the_table_is_no_button(client, reviewer, editor, monkeypatch):
    # The admin has no list of its own: a transition left out of the table is no button.
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    without_reject = {n: t for n, t in workflow.TRANSITIONS.items() if n != "reject"}
    monkeypatch.setattr(workflow, "TRANSITIONS", without_reject)
    client.force_login(reviewer)
    assert _buttons(client, article) == ["approve"]


def test_reopen_is_not_offered_as_a_button(editor):
    article = ArticleFactory(state=State.PUBLISHED, created_by=editor)
    assert workflow.REOPEN.may(editor, article)
    assert [t.name for t in workflow.allowed(article, editor)] == []


def test_restoring_into_a_sent_back_item_reopens_it_through_the_table(editor):
    article = ArticleFactory(state=State.DRAFT, created_by=editor)
    item_save(item=article, by=editor, data={"title": "第一稿"})
    revision = article.revisions.get()
    type(article).objects.filter(pk=article.pk).update(state=State.REJECTED)
    revision_restore(revision=revision, by=editor)
    entry = AuditEntry.objects.get(action=workflow.REOPEN.action)
    assert (entry.from_state, entry.to_state, entry.user) == (State.REJECTED, State.DRAFT, editor)
    assert _actions(article)[-2:] == ["editorial.item.reopened", "editorial.revision.restored"]


def test_editing_a_scheduled_item_reopens_it_with_the_tables_audit_action(editor):
    article = ArticleFactory(state=State.SCHEDULED, created_by=editor)
    item_save(item=article, by=editor, data={"title": "改期"})
    article.refresh_from_db()
    assert article.state == State.DRAFT
    assert _actions(article) == [workflow.REOPEN.action]


def test_approval_never_leaves_an_item_in_approved(editor, reviewer):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.from_state, entry.to_state) == (
        "editorial.item.approved",
        State.SUBMITTED,
        State.PUBLISHED,
    )


def test_no_transition_leads_to_or_from_approved():
    for transition in workflow.TRANSITIONS.values():
        assert State.APPROVED not in transition.sources
        assert State.APPROVED not in (transition.target, transition.target_if_future)


def test_every_other_state_is_reached_and_left_by_the_table():
    sources = set().union(*(t.sources for t in workflow.TRANSITIONS.values()))
    targets = {t.target for t in workflow.TRANSITIONS.values()} | {
        t.target_if_future for t in workflow.TRANSITIONS.values() if t.target_if_future
    }
    assert sources == targets == set(State.values) - {State.APPROVED}


def test_an_item_left_in_approved_is_not_publishable():
    article = ArticleFactory(state=State.APPROVED)
    assert not item_publishable(article)
    assert article not in pushable_items()


def test_a_reviewer_cannot_publish_an_item_left_in_approved(editor, reviewer):
    article = ArticleFactory(state=State.APPROVED, created_by=editor)
    with pytest.raises(TransitionError):
        item_publish(item=article, by=reviewer)


def test_publish_without_by_is_a_type_error():
    article = ArticleFactory(state=State.SCHEDULED)
    with pytest.raises(TypeError):
        article.publish()
    article.refresh_from_db()
    assert article.state == State.SCHEDULED


@pytest.mark.parametrize(
    "call",
    [
        lambda item: item_publish(item=item, by=None),
        lambda item: item_withdraw(item=item, by=None),
    ],
)
def test_a_service_given_nobody_refuses(call):
    article = ArticleFactory(state=State.SCHEDULED)
    with pytest.raises(NotAllowedError) as excinfo:
        call(article)
    assert str(excinfo.value) == "未指明由谁进行此项更改。"
    article.refresh_from_db()
    assert article.state == State.SCHEDULED
    assert not AuditEntry.objects.exists()


def test_system_publishes_a_scheduled_item_without_a_user():
    article = ArticleFactory(state=State.SCHEDULED)
    item_publish(item=article, by=SYSTEM)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    assert AuditEntry.objects.get().user is None


def test_system_cannot_publish_a_withdrawn_item():
    article = ArticleFactory(state=State.WITHDRAWN)
    with pytest.raises(NotAllowedError):
        item_publish(item=article, by=SYSTEM)
    article.refresh_from_db()
    assert article.state == State.WITHDRAWN


def test_system_cannot_approve(editor):
    article = ArticleFactory(state=State.SUBMITTED, created_by=editor)
    with pytest.raises(NotAllowedError):
        item_approve(item=article, by=SYSTEM)
    article.refresh_from_db()
    assert article.state == State.SUBMITTED


def test_documented_table_matches_the_declaration():
    readme = (Path(settings.BASE_DIR) / "editorial" / "README.md").read_text(encoding="utf-8")
    documented = readme.split("<!-- workflow table: begin -->\n", 1)[1].split(
        "<!-- workflow table: end -->", 1
    )[0]
    assert documented == workflow.table_markdown()
