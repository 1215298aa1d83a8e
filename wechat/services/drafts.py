"""Drafts WeChat no longer needs: a failed or cancelled push's own, a stale preview's."""

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..errors import InvalidRequestError, WeChatError
from ..gateway import WeChatGateway
from ..models import Push, PushState
from .workflow import NOT_STARTED_STATES

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 100


def _drafts_to_delete(push: Push, now: datetime) -> list[tuple[str, str]]:
    """(kind, media_id) of the push's drafts left in WeChat's draft box for nothing: the last
    preview's once the push has started or ended (or the preview is older than
    WECHAT_PREVIEW_DRAFT_TTL), and the push's own draft once it failed or was cancelled before
    WeChat consumed it with a send or a publication."""
    drafts = []
    preview_old = push.preview_sent_at is None or (
        push.preview_sent_at <= now - settings.WECHAT_PREVIEW_DRAFT_TTL
    )
    if push.preview_media_id and (push.state not in NOT_STARTED_STATES or preview_old):
        drafts.append(("preview", push.preview_media_id))
    ended = push.state in (PushState.FAILED, PushState.CANCELLED)
    if ended and push.draft_media_id and push.draft_deleted_at is None and push.sent_at is None:
        drafts.append(("own", push.draft_media_id))
    return drafts


def push_drafts_delete(*, push_id: int, gateway: WeChatGateway | None = None) -> int:
    """Delete the push's drafts WeChat no longer needs (draft/delete); returns how many went.

    A draft already gone counts as deleted. Other failures are logged and left for
    `push_drafts_cleanup`, never raised: a draft left over costs nothing but room in the box.
    """
    push = Push.objects.filter(pk=push_id).first()
    now = timezone.now()
    drafts = _drafts_to_delete(push, now) if push is not None else []
    deleted = 0
    for kind, media_id in drafts:
        gateway = gateway or WeChatGateway()
        try:
            gateway.delete_draft(media_id)
        except WeChatError as exc:
            if not (isinstance(exc, InvalidRequestError) and exc.errcode == 40007):
                logger.warning("Push %s: could not delete its %s draft: %s", push_id, kind, exc)
                continue
        if kind == "preview":
            Push.objects.filter(pk=push_id, preview_media_id=media_id).update(preview_media_id="")
        else:
            Push.objects.filter(pk=push_id).update(draft_deleted_at=now)
        deleted += 1
    return deleted


def push_drafts_cleanup(*, gateway: WeChatGateway | None = None) -> int:
    """Delete the drafts no push needs any more (run by beat every hour; retries deletions
    that failed). Returns how many were deleted."""
    now = timezone.now()
    previews = (
        Q(~Q(state__in=NOT_STARTED_STATES))
        | Q(preview_sent_at__isnull=True)
        | Q(preview_sent_at__lte=now - settings.WECHAT_PREVIEW_DRAFT_TTL)
    )
    own = Q(
        state__in=(PushState.FAILED, PushState.CANCELLED),
        draft_deleted_at__isnull=True,
        sent_at__isnull=True,
    )
    candidates = (
        Push.objects.filter((previews & ~Q(preview_media_id="")) | (own & ~Q(draft_media_id="")))
        .order_by("pk")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    gateway = gateway or WeChatGateway()
    return sum(push_drafts_delete(push_id=pk, gateway=gateway) for pk in candidates)
