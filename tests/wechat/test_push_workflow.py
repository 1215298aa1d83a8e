"""The push workflow is one table (wechat.services.workflow.MOVES): the services and the admin's
buttons read it, and a move it does not list is refused."""

import dataclasses

import pytest

from editorial.actors import SYSTEM
from editorial.errors import NotAllowedError, TransitionError
from tests.factories import PushFactory
from wechat.models import PushEvent, PushEventKind, PushState
from wechat.services import workflow

pytestmark = pytest.mark.django_db


def _change(push) -> str:
    return f"/admin/wechat/push/{push.pk}/change/"


def _table_without(monkeypatch, name: str, state: str) -> None:
    """The table as it is, except that the move `name` no longer starts from `state`."""
    moves = dict(workflow.MOVES)
    moves[name] = dataclasses.replace(moves[name], sources=moves[name].sources - {state})
    monkeypatch.setattr(workflow, "MOVES", moves)


def test_the_cancel_button_of_an_approved_push_comes_from_the_table(
    client, push_reviewer, monkeypatch
):
    push = PushFactory(state=PushState.APPROVED)
    client.force_login(push_reviewer)
    assert 'id="push-cancel"' in client.get(_change(push)).content.decode()
    _table_without(monkeypatch, "cancel", PushState.APPROVED)
    assert 'id="push-cancel"' not in client.get(_change(push)).content.decode()


def test_the_buttons_carry_the_tables_labels(client, push_reviewer, monkeypatch):
    push = PushFactory(state=PushState.DRAFT)
    moves = dict(workflow.MOVES)
    moves["cancel"] = dataclasses.replace(moves["cancel"], label="作废这条推送")
    monkeypatch.setattr(workflow, "MOVES", moves)
    client.force_login(push_reviewer)
    assert "作废这条推送</button>" in client.get(_change(push)).content.decode()


def test_the_admin_refuses_a_cancel_the_table_does_not_list(client, push_reviewer, monkeypatch):
    push = PushFactory(state=PushState.APPROVED)
    _table_without(monkeypatch, "cancel", PushState.APPROVED)
    client.force_login(push_reviewer)
    response = client.post(f"/admin/wechat/push/{push.pk}/cancel/", {"reason": "改期"}, follow=True)
    assert "此推送已获批准。" in response.content.decode()
    push.refresh_from_db()
    assert push.state == PushState.APPROVED
    assert not PushEvent.objects.filter(push=push, kind=PushEventKind.CANCELLED).exists()


def test_a_sent_push_cannot_be_cancelled_through_the_admin(client, push_reviewer):
    push = PushFactory(state=PushState.SENT)
    client.force_login(push_reviewer)
    response = client.post(f"/admin/wechat/push/{push.pk}/cancel/", follow=True)
    assert "此推送已经发出。" in response.content.decode()
    push.refresh_from_db()
    assert push.state == PushState.SENT


@pytest.mark.parametrize(
    ("name", "state", "actor"),
    [
        ("start", PushState.APPROVED, "push_reviewer"),  # a person, even a reviewer
        ("finish", PushState.SENT, None),  # the system left out instead of named
    ],
)
def test_only_the_system_named_as_such_makes_the_systems_moves(request, name, state, actor):
    by = request.getfixturevalue(actor) if actor else None
    push = PushFactory(state=state)
    with pytest.raises(NotAllowedError):
        workflow.move(push, name, by=by)
    push.refresh_from_db()
    assert push.state == state


def test_a_move_from_a_state_it_does_not_start_from_is_refused():
    push = PushFactory(state=PushState.FINISHED)
    with pytest.raises(TransitionError):
        workflow.move(push, "fail", by=SYSTEM, detail="late")
    push.refresh_from_db()
    assert push.state == PushState.FINISHED
    assert not push.events.exists()


def test_a_system_move_writes_its_timeline_line_without_a_user():
    push = PushFactory(state=PushState.SENT)
    event = workflow.move(push, "finish", by=SYSTEM)
    push.refresh_from_db()
    assert (push.state, event.kind, event.user) == (
        PushState.FINISHED,
        PushEventKind.FINISHED,
        None,
    )


@pytest.mark.parametrize("state", [PushState.FINISHED, PushState.FAILED, PushState.CANCELLED])
def test_an_ended_push_changes_state_no_more(state):
    leaving = [m.name for m in workflow.MOVES.values() if m.target and state in m.sources]
    assert leaving == []
