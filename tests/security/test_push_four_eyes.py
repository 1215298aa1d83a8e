"""The four-eyes rule for pushes: nobody who composed or changed a push since its last
approval approves it, and a change to an approved push needs a new approval."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial.errors import NotAllowedError
from editorial.publishing import item_key
from tests.factories import PushableArticleFactory
from tests.wechat.push_support import approved_push
from wechat.models import Push, PushEventKind, PushState
from wechat.services import push_approve, push_create, push_save, push_schedule

pytestmark = pytest.mark.django_db


def _compose(by) -> Push:
    return push_create(by=by, keys=[item_key(PushableArticleFactory())])


def test_the_composer_cannot_approve_the_push(push_reviewer):
    push = _compose(push_reviewer)

    with pytest.raises(NotAllowedError):
        push_approve(push=push, by=push_reviewer)

    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def test_a_reviewer_who_edited_someone_elses_push_cannot_approve_it(push_editor, push_reviewer):
    push = _compose(push_editor)
    push_save(push=push, by=push_reviewer, keys=[item_key(PushableArticleFactory(title="改过"))])

    with pytest.raises(NotAllowedError) as refused:
        push_approve(push=push, by=push_reviewer)

    assert "另一位审核员" in str(refused.value)
    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def test_the_edit_is_recorded_with_who_made_it(push_editor, push_reviewer):
    push = _compose(push_editor)

    push_save(push=push, by=push_reviewer, keys=[item_key(PushableArticleFactory())])

    change = push.events.get(kind=PushEventKind.CHANGED)
    assert change.user == push_reviewer


def test_a_reviewer_who_edited_the_push_gets_no_approve_button(client, push_editor, push_reviewer):
    push = _compose(push_editor)
    push_save(push=push, by=push_reviewer, keys=[item_key(PushableArticleFactory())])
    client.force_login(push_reviewer)

    page = client.get(reverse("admin:wechat_push_change", args=[push.pk])).content.decode()

    assert 'id="push-approve"' not in page


def test_self_approval_setting_does_not_let_a_reviewer_who_edited_it_approve(
    push_editor, push_reviewer, settings
):
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True  # exempts the author, nobody else
    push = _compose(push_editor)
    push_save(push=push, by=push_reviewer, keys=[item_key(PushableArticleFactory(title="改过"))])

    with pytest.raises(NotAllowedError):
        push_approve(push=push, by=push_reviewer)

    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def test_a_reviewer_who_edited_the_push_cannot_approve_it_through_the_url(
    client, push_editor, push_reviewer
):
    push = _compose(push_editor)
    push_save(push=push, by=push_reviewer, keys=[item_key(PushableArticleFactory())])
    client.force_login(push_reviewer)

    client.post(reverse("admin:wechat_push_approve", args=[push.pk]))

    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def test_moving_an_approved_push_sends_it_back_for_approval(
    push_editor, push_reviewer, second_reviewer
):
    push = approved_push(
        [PushableArticleFactory()],
        editor=push_editor,
        reviewer=push_reviewer,
        send_at=timezone.now() + timedelta(days=1),
    )

    push = push_schedule(push=push, by=second_reviewer, send_at=timezone.now() + timedelta(days=2))

    assert (push.state, push.approved_by, push.next_run_at) == (PushState.DRAFT, None, None)
    event = push.events.get(kind=PushEventKind.SCHEDULED)
    assert (event.user, event.data["back_to_approval"]) == (second_reviewer, True)


def test_the_reviewer_who_moved_an_approved_push_cannot_approve_it_again(
    push_editor, push_reviewer, second_reviewer
):
    push = approved_push(
        [PushableArticleFactory()],
        editor=push_editor,
        reviewer=push_reviewer,
        send_at=timezone.now() + timedelta(days=1),
    )
    push_schedule(push=push, by=second_reviewer, send_at=timezone.now() + timedelta(days=2))

    with pytest.raises(NotAllowedError):
        push_approve(push=push, by=second_reviewer)


def test_a_moved_push_is_approved_again_by_someone_who_did_not_change_it(
    push_editor, push_reviewer, second_reviewer
):
    push = approved_push(
        [PushableArticleFactory()],
        editor=push_editor,
        reviewer=push_reviewer,
        send_at=timezone.now() + timedelta(days=1),
    )
    push_schedule(push=push, by=second_reviewer, send_at=timezone.now() + timedelta(days=2))

    assert push_approve(push=push, by=push_reviewer).state == PushState.APPROVED
