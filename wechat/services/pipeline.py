"""Sending a push exactly once: claim and lease, upload, draft, send or publish, wait, retry.

Each step is claimed under `select_for_update` and committed before WeChat is called, and
WeChat's answer is stored before the next step begins; a run that dies is resumed from the last
stored answer by the scheduler (`pushes_dispatch_due`) once its lease has passed.
"""

import logging
import math
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from core.queueing import enqueue
from editorial.actors import SYSTEM

from .. import content
from ..errors import (
    DuplicateSendError,
    InvalidRequestError,
    QuotaError,
    RetryableError,
    WeChatError,
)
from ..gateway import WeChatGateway
from ..models import Push, PushEvent, PushEventKind, PushMode, PushState
from ..progress import upload_progress_recorder
from .drafts import DISPATCH_BATCH, push_drafts_delete
from .events import apply_stored_events, finish_publication
from .render import articles_of, render
from .workflow import ACTIVE_STATES, fail, finish, move, record

logger = logging.getLogger(__name__)

# Errors whose answer tells how long to wait ("please wait 1 minute"): retried no sooner.
WAIT_ASKED_CODES = frozenset({45066, 45011})


class _LeaseLost(Exception):
    """Another run took the push over (this one outlived its lease)."""


class PushRetry(RetryableError):
    """A run stopped on a retryable WeChat error (`error`); run the push again in `countdown`
    seconds (the push's `next_run_at` is the scheduler's safety net a lease later)."""

    def __init__(self, error: RetryableError, countdown: int):
        super().__init__(error.errcode, error.errmsg)
        self.error = error
        self.countdown = countdown


def enqueue_run(push_id: int) -> None:
    """Queue a run of the push. When the broker is down the push is left for the scheduler:
    it becomes due at once, so beat's next `pushes_dispatch_due` after the broker is back
    queues it (the approval, or the dispatch, is already committed)."""
    from ..tasks import push_advance_task

    if not enqueue(push_advance_task, push_id):
        now = timezone.now()
        Push.objects.filter(pk=push_id, state__in=ACTIVE_STATES).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now)
        ).update(next_run_at=now)


def lease() -> timedelta:
    return timedelta(seconds=settings.WECHAT_PUSH_LEASE_SECONDS)


def _claim(push_id: int, token: str) -> Push | None:
    """Take the push for this run, or None when there is nothing to do now."""
    now = timezone.now()
    with transaction.atomic():
        push = Push.objects.select_for_update().filter(pk=push_id).first()
        if push is None or push.state not in ACTIVE_STATES:
            return None
        if push.state == PushState.APPROVED and push.send_at and push.send_at > now:
            return None
        if push.lease_until and push.lease_until > now and push.lease_token != token:
            return None
        push.lease_token, push.lease_until = token, now + lease()
        push.next_run_at = now + lease()  # if this run dies, the scheduler resumes after it
        if push.state == PushState.APPROVED:
            move(push, "start", by=SYSTEM)
        else:
            push.save()
    return push


@contextmanager
def _locked(push_id: int, token: str) -> Iterator[Push]:
    """The push locked in a transaction, if this run still holds it (else _LeaseLost); the
    lease is renewed when the caller saves it."""
    with transaction.atomic():
        push = Push.objects.select_for_update().get(pk=push_id)
        if push.lease_token != token:
            raise _LeaseLost
        now = timezone.now()
        push.lease_until = now + lease()
        push.next_run_at = now + lease()
        yield push


def _heartbeat(push_id: int, token: str):
    def beat():
        now = timezone.now()
        Push.objects.filter(pk=push_id, lease_token=token).update(
            lease_until=now + lease(), next_run_at=now + lease()
        )

    return beat


def _step_upload(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    """Upload what WeChat lacks, store the rendered articles, then create the draft."""
    items = list(push.items.select_related("content_type"))
    if not all(item.rendered for item in items):
        articles, uploaded, reused = render(
            items,
            gateway,
            heartbeat=_heartbeat(push.pk, token),
            progress=upload_progress_recorder(push.pk),
        )
        with _locked(push.pk, token) as locked:
            for item, article in zip(items, articles, strict=True):
                item.title, item.author, item.digest = article.title, article.author, article.digest
                item.source_url, item.content = article.content_source_url, article.content
                item.thumb_media_id = article.thumb_media_id
                item.save()
            record(
                locked, PushEventKind.IMAGES_UPLOADED, by=SYSTEM, uploaded=uploaded, reused=reused
            )
            locked.save()
    media_id = gateway.add_draft(articles_of(items))
    with _locked(push.pk, token) as locked:
        locked.draft_media_id = media_id
        move(locked, "create_draft", by=SYSTEM, media_id=media_id)
    return locked


def _step_send(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    if push.mode == PushMode.PUBLISH:
        return _step_publish(push, gateway, token)
    with _locked(push.pk, token) as locked:
        earlier_attempts = locked.send_attempts
        locked.client_msg_id = locked.make_client_msg_id()
        locked.send_attempts += 1
        locked.send_started_at = locked.send_started_at or timezone.now()
        locked.save()
    duplicate, status = False, ""
    try:
        result = gateway.mass_send(
            media_id=locked.draft_media_id, tag_id=locked.tag_id, client_msg_id=locked.client_msg_id
        )
        msg_id, msg_data_id = result.msg_id, result.msg_data_id
    except DuplicateSendError as exc:
        # An earlier attempt went through and its answer was lost: that send is this push's.
        duplicate, msg_id, msg_data_id = True, exc.msg_id, ""
    except (QuotaError, InvalidRequestError):
        # The order of WeChat's checks is not documented (CONTRACT.md §6.3): a resend may be
        # refused for the quota or the draft the earlier, lost attempt used up. A draft gone
        # means that attempt took it: the push is sent, its answer lost.
        if earlier_attempts and _draft_gone(gateway, locked.draft_media_id):
            message = gettext(
                "WeChat took an earlier attempt but its answer was lost; waiting for WeChat's "
                "notice."
            )
            return _answer_lost(push.pk, token, "send", message, answer_lost=True)
        raise
    with _locked(push.pk, token) as locked:
        now = timezone.now()
        locked.msg_id, locked.msg_data_id = msg_id, msg_data_id or locked.msg_data_id
        locked.sent_at = now
        sent_event = move(locked, "send", by=SYSTEM, msg_id=msg_id, duplicate=duplicate)
        if locked.waiting_for_confirmation:
            record(locked, PushEventKind.WAITING, by=SYSTEM)
    if duplicate and msg_id:
        try:
            status = gateway.mass_status(msg_id).status
        except WeChatError as exc:
            status = exc.user_message
        sent_event.data = {**sent_event.data, "status": status}
        sent_event.save(update_fields=["data"])
    apply_stored_events(locked.pk)
    return None


def _draft_gone(gateway: WeChatGateway, media_id: str) -> bool:
    """Whether WeChat no longer has the draft (40007): a send or publication consumed it."""
    try:
        gateway.get_draft(media_id)
    except InvalidRequestError as exc:
        if exc.errcode == 40007:
            return True
        raise
    return False


def _answer_lost(push_id: int, token: str, name: str, detail: str, **data) -> None:
    """WeChat took an earlier send or submit whose answer was lost: the push is sent (the move
    `name`) and waits for WeChat's notice."""
    with _locked(push_id, token) as locked:
        locked.sent_at = timezone.now()
        locked.answer_lost = True
        move(locked, name, by=SYSTEM, detail=detail, **data)


def _step_publish(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    with _locked(push.pk, token) as locked:
        earlier_attempts = locked.send_attempts
        locked.send_attempts += 1
        locked.send_started_at = locked.send_started_at or timezone.now()
        locked.save()
    # freepublish/submit has no clientmsgid: if the draft is gone, the earlier submit took it.
    if earlier_attempts and _draft_gone(gateway, locked.draft_media_id):
        message = gettext(
            "WeChat accepted the publication but its answer was lost; waiting for WeChat's notice."
        )
        return _answer_lost(push.pk, token, "publish", message)
    publish_id = gateway.publish_submit(locked.draft_media_id)
    with _locked(push.pk, token) as locked:
        locked.publish_id = publish_id
        locked.sent_at = timezone.now()
        move(locked, "publish", by=SYSTEM, publish_id=publish_id)
    apply_stored_events(locked.pk)
    return None


def _step_wait(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    """A sent push whose finish notice has not come: apply a stored one, else ask WeChat."""
    apply_stored_events(push.pk)
    push.refresh_from_db()
    if push.state != PushState.SENT:
        return None
    now = timezone.now()
    timeout = settings.WECHAT_PUSH_CONFIRM_TIMEOUT
    id_lost = not (push.publish_id if push.mode == PushMode.PUBLISH else push.msg_id)
    if id_lost:
        if push.sent_at + timeout <= now:
            with transaction.atomic():
                locked = Push.objects.select_for_update().get(pk=push.pk)
                if locked.state == PushState.SENT:
                    finish(
                        locked,
                        detail=gettext(
                            "WeChat's notice did not come; check the published articles on "
                            "mp.weixin.qq.com."
                        ),
                    )
        return None
    if push.mode == PushMode.PUBLISH:
        status = gateway.publish_status(push.publish_id)
        if not status.is_pending:
            with transaction.atomic():
                locked = Push.objects.select_for_update().get(pk=push.pk)
                if locked.state == PushState.SENT:
                    finish_publication(locked, status)
        return None
    if push.mode == PushMode.MASS and push.msg_id and push.sent_at + timeout <= now:
        status = gateway.mass_status(push.msg_id).status
        with transaction.atomic():
            locked = Push.objects.select_for_update().get(pk=push.pk)
            if locked.state != PushState.SENT:
                return None
            if status == "SEND_SUCCESS":
                finish(locked, detail=gettext("WeChat reports the send as delivered."))
            elif status in ("SEND_FAIL", "DELETE"):
                message = gettext("WeChat reports the send as failed (%(status)s).")
                fail(locked, message=message % {"status": status})
            elif locked.waiting_for_confirmation:
                fail(
                    locked,
                    message=gettext(
                        "The administrator did not confirm the send in WeChat within 30 minutes."
                    ),
                )
    return None


_STEPS = {
    PushState.UPLOADING: _step_upload,
    PushState.DRAFT_CREATED: _step_send,
    PushState.SENT: _step_wait,
}


def _next_look(push: Push) -> datetime | None:
    """When the scheduler should look at a push again after a run."""
    if push.state != PushState.SENT:
        return None
    now = timezone.now()
    if push.mode == PushMode.PUBLISH:
        return now + settings.WECHAT_PUSH_POLL_INTERVAL
    due = push.sent_at + settings.WECHAT_PUSH_CONFIRM_TIMEOUT
    return due if due > now else now + settings.WECHAT_PUSH_CONFIRM_TIMEOUT


def push_advance(*, push_id: int, gateway: WeChatGateway | None = None) -> Push | None:
    """Run the push's next unfinished steps until it waits for WeChat or ends. Safe to run twice
    and at once: a run finding the push held by another (or not due) returns at once.

    Raises RetryableError (after recording it) when WeChat may succeed later: the caller retries.
    Quota and invalid-request errors, and items WeChat cannot take, fail the push with the reason
    stored on it. Returns the push as it is now (None when it does not exist).
    """
    token = uuid.uuid4().hex
    push = _claim(push_id, token)
    if push is None:
        return Push.objects.filter(pk=push_id).first()
    gateway = gateway or WeChatGateway()
    try:
        while push is not None and push.state in _STEPS:
            push = _STEPS[push.state](push, gateway, token)
    except _LeaseLost:
        return Push.objects.get(pk=push_id)
    except RetryableError as exc:
        countdown = _release(push_id, token, retry=exc)
        raise PushRetry(exc, countdown) from exc
    except (WeChatError, content.ContentError) as exc:
        with transaction.atomic():
            locked = Push.objects.select_for_update().get(pk=push_id)
            if locked.lease_token == token:
                fail(locked, error=exc)
    # Anything else (a crash, a killed worker) keeps the lease: the scheduler resumes the push
    # from its last recorded step once the lease has passed.
    _release(push_id, token)
    push_drafts_delete(push_id=push_id, gateway=gateway)
    return Push.objects.get(pk=push_id)


def push_retry_delay(*, error: RetryableError, attempt: int) -> int:
    """Seconds to wait before running a push again after `error` on its `attempt`-th retry.

    Exponential backoff from WECHAT_RETRY_BACKOFF_BASE with jitter, capped at
    WECHAT_RETRY_BACKOFF_MAX, but never shorter than the base nor than the wait WeChat's answer
    names: 45066 (the same clientmsgid again too soon) and 45011 (the minute's calls used up)
    want a minute. (45009, the day's calls used up, backs off like any other error.)
    """
    base = settings.WECHAT_RETRY_BACKOFF_BASE
    ceiling = min(settings.WECHAT_RETRY_BACKOFF_MAX, base * 2 ** max(attempt - 1, 0))
    delay = random.uniform(base, max(base, ceiling))
    if error.errcode in WAIT_ASKED_CODES:
        delay = max(delay, error.retry_after)
    return math.ceil(delay)


def _release(push_id: int, token: str, *, retry: RetryableError | None = None) -> int:
    """End this run's hold on the push and set the scheduler's next look. After a retryable
    error, return the seconds until the retry (the task's countdown)."""
    countdown = 0
    with transaction.atomic():
        push = Push.objects.select_for_update().get(pk=push_id)
        if retry is not None:
            attempt = PushEvent.objects.filter(push=push, kind=PushEventKind.RETRY).count() + 1
            countdown = push_retry_delay(error=retry, attempt=attempt)
        if push.lease_token != token:
            return countdown
        push.lease_token, push.lease_until = "", None
        if retry is not None:
            record(
                push,
                PushEventKind.RETRY,
                by=SYSTEM,
                detail=retry.user_message,
                errcode=retry.errcode,
                attempt=attempt,
                countdown=countdown,
            )
            # The task's own retry comes after `countdown`; this is the safety net, a lease
            # later, if that retry is lost (a worker killed while holding it, a broker outage).
            push.next_run_at = timezone.now() + timedelta(seconds=countdown) + lease()
        elif push.state in ACTIVE_STATES:
            push.next_run_at = _next_look(push)
        else:
            push.next_run_at = None
        push.save()
    return countdown


def _send_may_have_gone(push: Push) -> bool:
    """WeChat may have taken the push's send: it was accepted (sent), or a send call went out
    whose answer never came (a lost response, a timeout, a 5xx after the request left)."""
    return push.state == PushState.SENT or (
        push.state == PushState.DRAFT_CREATED and push.send_attempts > 0
    )


def push_fail(*, push_id: int, error: Exception) -> Push:
    """Give up on a push whose WeChat calls kept failing (the task ran out of retries).

    A push WeChat may have sent is not failed blindly: it is left to the scheduler, whose next
    run asks WeChat again (mass/get once the msg_id is known; otherwise the same send with the
    same clientmsgid, which WeChat answers with 45065 and the msg_id if the first one went
    through). Only when that can no longer be asked safely, because the clientmsgid's 24-hour
    protection is about to end, is such a push failed, saying that WeChat never answered.
    """
    now = timezone.now()
    with transaction.atomic():
        push = Push.objects.select_for_update().get(pk=push_id)
        if push.state not in ACTIVE_STATES:
            return push
        if not _send_may_have_gone(push):
            fail(push, error=error)
            transaction.on_commit(lambda: push_drafts_delete(push_id=push_id))
            return push
        resend_until = (push.send_started_at or now) + settings.WECHAT_PUSH_RESEND_WINDOW
        if push.state == PushState.DRAFT_CREATED and now >= resend_until:
            fail(
                push,
                message=gettext(
                    "WeChat never answered whether it took the send. Check the sent messages "
                    "on mp.weixin.qq.com before sending it again."
                ),
            )
            return push
        if push.next_run_at is None or push.next_run_at < now:
            push.next_run_at = now + lease()
            push.save(update_fields=["next_run_at"])
        logger.warning("Push %s: WeChat's answer still unknown; the scheduler asks again", push.pk)
    return push


def pushes_dispatch_due(*, now: datetime | None = None) -> int:
    """Queue a run for every push whose time has come: approved ones at their send time, runs
    that died once their lease passed, sent ones still waiting for WeChat's notice. Rows are
    claimed with SKIP LOCKED, so two schedulers at once queue each push once. Returns how many.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Push.objects.select_for_update(skip_locked=True)
            .filter(state__in=ACTIVE_STATES, next_run_at__lte=now)
            .order_by("next_run_at", "pk")[:DISPATCH_BATCH]
        )
        for push in due:
            push.next_run_at = now + lease()
            push.save(update_fields=["next_run_at"])
        ids = [push.pk for push in due]
        transaction.on_commit(lambda: [enqueue_run(push_id) for push_id in ids])
    return len(ids)
