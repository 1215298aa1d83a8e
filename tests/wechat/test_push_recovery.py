"""A push WeChat may have sent is never failed blindly; retries wait as long as WeChat asks; a
dead run is resumed within a lease; a send recovered through 45065 learns its msg_data_id."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.wechat.push_support import approved_push, article_with_images, run_push
from tests.wechat.support import signed_post
from wechat.errors import RetryableError
from wechat.gateway import WeChatGateway
from wechat.models import Push, PushEventKind, PushState
from wechat.services import PushRetry, push_advance, push_fail, pushes_dispatch_due
from wechat.tasks import push_advance_task
from wechat_emulator import callbacks

pytestmark = pytest.mark.django_db

SEND = "message/mass/sendall"


@pytest.fixture
def push(emulator, push_editor, push_reviewer):
    """An approved mass push of one article with an image, not run yet."""
    return approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)


def _lose_the_send_answer(emulator, push: Push) -> Push:
    """Run the push once: WeChat takes the send and the answer never arrives."""
    emulator.state.set_faults(drop_after_commit_rate=1.0, times=1, paths=[SEND])
    with pytest.raises(PushRetry):
        push_advance(push_id=push.pk)
    push.refresh_from_db()
    assert (push.state, push.send_attempts) == (PushState.DRAFT_CREATED, 1)
    return push


def _sends(emulator) -> list[dict]:
    return emulator.state.snapshot()["sends"]


def test_a_45066_is_retried_no_sooner_than_the_minute_wechat_asks_for(emulator, push, settings):
    settings.WECHAT_RETRY_BACKOFF_BASE = 0  # the jittered backoff alone would retry at once
    emulator.state.set_faults(error_rate=1.0, error_codes=[45066], times=1, paths=[SEND])
    before = timezone.now()

    with pytest.raises(PushRetry) as retry:
        push_advance(push_id=push.pk)

    assert retry.value.countdown >= 60
    push.refresh_from_db()
    assert push.next_run_at >= before + timedelta(seconds=60)
    assert push.events.get(kind=PushEventKind.RETRY).data["countdown"] >= 60


def test_the_task_schedules_its_retry_after_45066_no_sooner_than_a_minute(emulator, push, settings):
    from celery.exceptions import Retry

    settings.WECHAT_RETRY_BACKOFF_BASE = 0
    emulator.state.set_faults(error_rate=1.0, error_codes=[45066], times=1, paths=[SEND])
    # As a worker runs it (a request of its own), but the retry is raised instead of queued.
    push_advance_task.push_request(id="retry-test", retries=0, is_eager=True, called_directly=False)
    try:
        with pytest.raises(Retry) as retry:
            push_advance_task.run(push.pk)
    finally:
        push_advance_task.pop_request()

    planned = push.events.get(kind=PushEventKind.RETRY).data["countdown"]
    assert retry.value.when == planned >= 60  # what the push's timeline and safety net expect


def test_a_push_answered_45066_until_its_retries_run_out_is_not_failed(
    emulator, push, celery_eager, settings
):
    settings.WECHAT_RETRY_BACKOFF_BASE = 0
    emulator.state.set_faults(error_rate=1.0, error_codes=[45066], paths=[SEND])

    push_advance_task.apply(args=[push.pk])  # retries at once here (eager), max_retries times

    push.refresh_from_db()
    assert push.state == PushState.DRAFT_CREATED
    assert push.next_run_at is not None


def test_a_push_whose_send_answer_was_lost_is_not_failed_when_its_retries_run_out(emulator, push):
    push = _lose_the_send_answer(emulator, push)

    push = push_fail(push_id=push.pk, error=RetryableError(None, "network"))

    assert push.state == PushState.DRAFT_CREATED
    assert push.next_run_at is not None


def test_the_scheduler_then_asks_wechat_and_records_the_send_it_took(emulator, push):
    push = _lose_the_send_answer(emulator, push)
    push_fail(push_id=push.pk, error=RetryableError(None, "network"))

    push = run_push(push)

    [mass] = _sends(emulator)
    assert (push.state, push.msg_id) == (PushState.SENT, mass["msg_id"])


def test_a_push_whose_send_was_never_made_fails_when_its_retries_run_out(emulator, push):
    emulator.state.set_faults(error_rate=1.0, error_codes=[-1], times=1, paths=["draft/add"])
    with pytest.raises(PushRetry):
        push_advance(push_id=push.pk)

    push = push_fail(push_id=push.pk, error=RetryableError(-1, "system busy"))

    assert push.state == PushState.FAILED


def test_a_sent_push_is_not_failed_when_asking_wechat_keeps_failing(emulator, push):
    push = run_push(push)
    assert push.state == PushState.SENT

    push = push_fail(push_id=push.pk, error=RetryableError(None, "network"))

    assert push.state == PushState.SENT


def test_an_unanswered_send_fails_once_a_resend_would_no_longer_be_deduplicated(
    emulator, push, settings
):
    push = _lose_the_send_answer(emulator, push)
    Push.objects.filter(pk=push.pk).update(
        send_started_at=timezone.now() - settings.WECHAT_PUSH_RESEND_WINDOW
    )

    push = push_fail(push_id=push.pk, error=RetryableError(None, "network"))

    assert push.state == PushState.FAILED
    assert "mp.weixin.qq.com" in push.error_message


@pytest.mark.parametrize("refusal", [40007, 45028])
def test_a_resend_refused_after_the_lost_send_used_up_the_draft_counts_as_sent(
    emulator, push, refusal
):
    # WeChat does not document whether it checks the clientmsgid before the draft and quota.
    push = _lose_the_send_answer(emulator, push)
    emulator.state.set_faults(error_rate=1.0, error_codes=[refusal], times=1, paths=[SEND])

    push = run_push(push)

    assert (push.state, push.answer_lost) == (PushState.SENT, True)
    assert len(_sends(emulator)) == 1


def test_a_resend_refused_while_the_draft_is_still_there_fails_the_push(emulator, push):
    emulator.state.set_faults(http_error_rate=1.0, http_status=503, times=1, paths=[SEND])
    with pytest.raises(PushRetry):
        push_advance(push_id=push.pk)  # the 503 came before WeChat took anything
    emulator.state.set_faults(error_rate=1.0, error_codes=[45028], times=1, paths=[SEND])

    push = run_push(push)

    assert (push.state, push.error_code) == (PushState.FAILED, 45028)
    assert _sends(emulator) == []


class _Killed(BaseException):
    """Stands for the worker process being killed: nothing after it runs."""


def test_a_run_killed_mid_step_is_due_for_the_scheduler_a_minute_later(emulator, push):
    class DyingGateway(WeChatGateway):
        def add_draft(self, articles):
            raise _Killed

    killed_at = timezone.now()
    with pytest.raises(_Killed):
        push_advance(push_id=push.pk, gateway=DyingGateway())

    assert pushes_dispatch_due(now=killed_at + timedelta(seconds=30)) == 0  # still held
    assert pushes_dispatch_due(now=killed_at + timedelta(seconds=61)) == 1


def test_a_lost_retry_is_resumed_a_lease_after_its_countdown(emulator, push, settings):
    settings.WECHAT_RETRY_BACKOFF_MAX = 600
    emulator.state.set_faults(error_rate=1.0, error_codes=[45066], times=1, paths=[SEND])
    with pytest.raises(PushRetry) as retry:
        push_advance(push_id=push.pk)
    due = timezone.now() + timedelta(
        seconds=retry.value.countdown + settings.WECHAT_PUSH_LEASE_SECONDS
    )

    assert pushes_dispatch_due(now=due - timedelta(seconds=5)) == 0  # the task's retry comes first
    assert pushes_dispatch_due(now=due + timedelta(seconds=5)) == 1


def test_a_send_recovered_through_45065_learns_its_msg_data_id_from_the_finish_notice(
    emulator, push, client, settings
):
    push = run_push(_lose_the_send_answer(emulator, push))
    assert (push.state, push.msg_data_id) == (PushState.SENT, "")  # 45065 carries only msg_id
    [mass] = _sends(emulator)
    mass["finish_status"] = "send success"
    notice = callbacks.event_xml(
        to_user="gh_test",
        from_user="oMPHELPER0000000000000000000",
        create_time=int(timezone.now().timestamp()),
        event="MASSSENDJOBFINISH",
        body=callbacks.mass_finish_body(mass),
    )

    signed_post(client, notice, token=settings.WECHAT_TOKEN)
    push = run_push(push)  # the stored notice is applied by the next run too

    assert push.state == PushState.FINISHED
    assert push.msg_data_id == mass["msg_data_id"]
