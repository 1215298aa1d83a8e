"""Drafts nothing needs any more leave WeChat's draft box: previews once the push is under way
(or old), the drafts of failed pushes; a deletion that fails is logged and retried."""

from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.publishing import item_key
from tests.wechat.push_support import approved_push, article_with_images, run_push
from wechat.models import PreviewRecipient, Push, PushState
from wechat.services import push_create, push_drafts_cleanup, push_preview
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db


def _drafts(emulator) -> list[str]:
    return [d["media_id"] for d in emulator.state.snapshot()["drafts"]]


@pytest.fixture
def previewed(emulator, push_editor):
    """A push awaiting approval whose author has sent a preview (its draft is in WeChat)."""
    PreviewRecipient.objects.create(user=push_editor, openid=openid_for(1))
    push = push_create(by=push_editor, keys=[item_key(article_with_images(1))])
    push_preview(push=push, by=push_editor)
    push.refresh_from_db()
    assert _drafts(emulator) == [push.preview_media_id]
    return push


def test_a_failed_push_deletes_its_draft(emulator, push_editor, push_reviewer):
    emulator.state.set_faults(error_rate=1.0, error_codes=[45028], paths=["message/mass/sendall"])
    push = approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)

    push = run_push(push)

    assert push.state == PushState.FAILED
    assert (_drafts(emulator), push.draft_deleted_at is not None) == ([], True)


def test_the_preview_draft_is_deleted_once_the_push_is_sent(emulator, previewed, push_reviewer):
    from wechat.services import push_approve

    push = run_push(push_approve(push=previewed, by=push_reviewer))

    assert push.state == PushState.SENT
    assert (_drafts(emulator), push.preview_media_id) == ([], "")


def test_a_fresh_preview_of_a_push_awaiting_approval_is_kept(emulator, previewed):
    assert push_drafts_cleanup() == 0

    assert _drafts(emulator) == [previewed.preview_media_id]


def test_an_old_preview_draft_is_deleted_by_the_cleanup(emulator, previewed, settings):
    Push.objects.filter(pk=previewed.pk).update(
        preview_sent_at=timezone.now() - settings.WECHAT_PREVIEW_DRAFT_TTL - timedelta(minutes=1)
    )

    assert push_drafts_cleanup() == 1

    assert _drafts(emulator) == []
    assert Push.objects.get(pk=previewed.pk).preview_media_id == ""


def test_a_deletion_that_fails_is_not_fatal_and_the_cleanup_retries_it(
    emulator, push_editor, push_reviewer, caplog
):
    refused = ["message/mass/sendall", "draft/delete"]
    emulator.state.set_faults(error_rate=1.0, error_codes=[45028], paths=refused)
    push = approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)

    push = run_push(push)

    assert (push.state, len(_drafts(emulator))) == (PushState.FAILED, 1)
    assert "could not delete its own draft" in caplog.text
    emulator.state.set_faults()
    assert push_drafts_cleanup() == 1
    assert _drafts(emulator) == []
