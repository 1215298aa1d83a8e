"""Segments as WeChat tags: create or rename the tag, tag who joined, untag who left.

`SegmentMember` holds the followers the tag carries after the last successful tagging call, so
a sync sends only the difference and running it twice changes nothing. WeChat's limits: tag
names ≤ 30 bytes (45158), ≤ 100 tags per account (45056), ≤ 50 openids per tagging call, ≤ 20
tags per follower (45059).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from wechat.errors import InvalidRequestError, RetryableError, WeChatError
from wechat.gateway import WeChatGateway

from ..errors import SegmentSyncError, SyncBusyError
from ..models import Follower, Segment, SegmentMember
from ..selectors import segment_members

logger = logging.getLogger(__name__)

TAG_BATCH = 50  # batchtagging / batchuntagging take at most 50 openids (CONTRACT.md §8)
NOT_A_FOLLOWER = {40003, 49003}
TAG_NAME_TAKEN = 45157
UNKNOWN_TAG = 45159
TOO_MANY_TAGS_ON_FOLLOWER = 45059


@dataclass
class SegmentSyncResult:
    tag_id: int
    added: int = 0
    removed: int = 0
    not_following: int = 0  # WeChat says these are no longer followers: skipped
    tag_limit: int = 0  # these already carry WeChat's maximum of 20 tags: not tagged
    members: int = 0


def segment_sync(
    *, segment: Segment, gateway: WeChatGateway | None = None, full: bool = False
) -> SegmentSyncResult:
    """Mirror the segment to its WeChat tag (named like the segment).

    Creates or renames the tag, tags followers who joined the segment and untags those who
    left; only the difference since the last sync is sent, so a second run changes nothing.
    `full` reads the tag's members from WeChat instead of trusting the last sync (after
    someone tagged followers by hand). Raises SyncBusyError (another sync of this segment
    runs), SegmentSyncError with WeChat's reason in plain words (also stored on the segment),
    or RetryableError (WeChat busy: what was done so far is kept; run it again).
    """
    gateway = gateway or WeChatGateway()
    now = timezone.now()
    stale = now - settings.AUDIENCE_SYNC_LEASE
    claimed = (
        Segment.objects.filter(pk=segment.pk)
        .filter(Q(sync_started_at__isnull=True) | Q(sync_started_at__lt=stale))
        .update(sync_started_at=now)
    )
    if not claimed:
        raise SyncBusyError
    try:
        segment.refresh_from_db()
        try:
            result = _sync(segment=segment, gateway=gateway, full=full)
        except InvalidRequestError as exc:
            if exc.errcode != UNKNOWN_TAG or segment.wechat_tag_id is None:
                raise
            # The tag was deleted in WeChat: start again with a new one.
            logger.warning("WeChat lost the tag of segment %s; creating it again", segment.pk)
            _tag_forget(segment)
            result = _sync(segment=segment, gateway=gateway, full=False)
    except RetryableError as exc:
        Segment.objects.filter(pk=segment.pk).update(last_sync_error=exc.user_message)
        raise
    except WeChatError as exc:
        Segment.objects.filter(pk=segment.pk).update(last_sync_error=exc.user_message)
        logger.warning("Segment %s could not be synced: %s", segment.pk, exc)
        raise SegmentSyncError(exc.user_message) from exc
    finally:
        Segment.objects.filter(pk=segment.pk).update(sync_started_at=None)
    warning = ""
    if result.tag_limit:
        warning = gettext(
            "%(count)d followers already carry WeChat's maximum of 20 tags and were not tagged."
        ) % {"count": result.tag_limit}
    Segment.objects.filter(pk=segment.pk).update(
        member_count=result.members, last_synced_at=timezone.now(), last_sync_error=warning
    )
    segment.refresh_from_db()
    logger.info(
        "Segment %s synced to tag %s: +%s -%s", segment.pk, result.tag_id, result.added,
        result.removed,
    )  # fmt: skip
    return result


def _tag_forget(segment: Segment) -> None:
    with transaction.atomic():
        SegmentMember.objects.filter(segment=segment).delete()
        Segment.objects.filter(pk=segment.pk).update(wechat_tag_id=None, wechat_tag_name="")
    segment.wechat_tag_id = None
    segment.wechat_tag_name = ""


def _tag_ensure(segment: Segment, gateway: WeChatGateway) -> tuple[int, bool]:
    """The segment's tag id, created or renamed as needed; True when an existing tag of the
    same name was adopted (its members are then read from WeChat)."""
    if segment.wechat_tag_id is not None:
        if segment.wechat_tag_name != segment.name:
            gateway.tag_update(segment.wechat_tag_id, segment.name)
            Segment.objects.filter(pk=segment.pk).update(wechat_tag_name=segment.name)
            segment.wechat_tag_name = segment.name
            _tags_changed()
        return segment.wechat_tag_id, False
    adopted = False
    try:
        tag = gateway.tag_create(segment.name)
    except InvalidRequestError as exc:
        if exc.errcode != TAG_NAME_TAKEN:
            raise
        # A tag of that name exists: ours from a run that died before storing its id, or one
        # made by hand. Either way it is the segment's now.
        tag = next((t for t in gateway.tags_list() if t.name == segment.name), None)
        if tag is None:
            raise
        adopted = True
    # Stored at once, so a run that dies after this point never creates a second tag.
    Segment.objects.filter(pk=segment.pk).update(wechat_tag_id=tag.id, wechat_tag_name=tag.name)
    segment.wechat_tag_id, segment.wechat_tag_name = tag.id, tag.name
    _tags_changed()
    return tag.id, adopted


def _tags_changed() -> None:
    """The push form lists WeChat's tags from a cache: make it see the segment's tag."""
    from wechat.services import tag_choices_forget

    tag_choices_forget()


def _tag_members_in_wechat(gateway: WeChatGateway, tag_id: int) -> set[str]:
    openids: set[str] = set()
    cursor = None
    while True:
        page = gateway.tag_followers_page(tag_id, cursor)
        openids.update(page.openids)
        if page.is_last:
            return openids
        cursor = page.next_openid


def _sync(*, segment: Segment, gateway: WeChatGateway, full: bool) -> SegmentSyncResult:
    tag_id, adopted = _tag_ensure(segment, gateway)
    result = SegmentSyncResult(tag_id=tag_id)
    desired = set(segment_members(segment).values_list("openid", flat=True))
    if full or adopted:
        current = _tag_members_in_wechat(gateway, tag_id)
        with transaction.atomic():
            SegmentMember.objects.filter(segment=segment).exclude(openid__in=current).delete()
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment=segment, openid=o) for o in current],
                ignore_conflicts=True,
            )
    else:
        current = set(
            SegmentMember.objects.filter(segment=segment).values_list("openid", flat=True)
        )
    joiners = sorted(desired - current)
    leavers = sorted(current - desired)
    for start in range(0, len(joiners), TAG_BATCH):
        _tag_batch(segment, gateway, tag_id, joiners[start : start + TAG_BATCH], result)
    # A leaver we know unfollowed lost WeChat's tags with it: only the row goes.
    unfollowed = set(
        Follower.objects.filter(openid__in=leavers, subscribed=False).values_list(
            "openid", flat=True
        )
    )
    SegmentMember.objects.filter(segment=segment, openid__in=unfollowed).delete()
    result.removed += len(unfollowed)
    untag = [o for o in leavers if o not in unfollowed]
    for start in range(0, len(untag), TAG_BATCH):
        _untag_batch(segment, gateway, tag_id, untag[start : start + TAG_BATCH], result)
    result.members = SegmentMember.objects.filter(segment=segment).count()
    return result


def _tag_batch(segment, gateway, tag_id: int, openids: list[str], result) -> None:
    try:
        gateway.tag_members_add(tag_id, openids)
        tagged = openids
    except InvalidRequestError as exc:
        if exc.errcode not in NOT_A_FOLLOWER | {TOO_MANY_TAGS_ON_FOLLOWER}:
            raise
        # One bad openid fails the whole call: find it by tagging one at a time.
        tagged = []
        for openid in openids:
            try:
                gateway.tag_members_add(tag_id, [openid])
                tagged.append(openid)
            except InvalidRequestError as one:
                if one.errcode in NOT_A_FOLLOWER:
                    result.not_following += 1
                    Follower.objects.filter(openid=openid).update(subscribed=False)
                elif one.errcode == TOO_MANY_TAGS_ON_FOLLOWER:
                    result.tag_limit += 1
                else:
                    raise
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, openid=o) for o in tagged], ignore_conflicts=True
    )
    result.added += len(tagged)


def _untag_batch(segment, gateway, tag_id: int, openids: list[str], result) -> None:
    try:
        gateway.tag_members_remove(tag_id, openids)
    except InvalidRequestError as exc:
        if exc.errcode not in NOT_A_FOLLOWER:
            raise
        for openid in openids:
            try:
                gateway.tag_members_remove(tag_id, [openid])
            except InvalidRequestError as one:
                if one.errcode not in NOT_A_FOLLOWER:
                    raise
                # Not a follower any more: WeChat dropped the tag with the follow.
                Follower.objects.filter(openid=openid).update(subscribed=False)
    SegmentMember.objects.filter(segment=segment, openid__in=openids).delete()
    result.removed += len(openids)


def segment_delete(*, segment: Segment, gateway: WeChatGateway | None = None) -> None:
    """Delete the segment and its WeChat tag (a tag WeChat no longer has is fine).

    Raises SegmentSyncError when WeChat refuses (e.g. 45057: more than 100 000 followers carry
    the tag) or RetryableError; the segment is then kept.
    """
    if segment.wechat_tag_id is not None:
        try:
            (gateway or WeChatGateway()).tag_delete(segment.wechat_tag_id)
        except InvalidRequestError as exc:
            if exc.errcode != UNKNOWN_TAG:
                raise SegmentSyncError(exc.user_message) from exc
    pk = segment.pk
    segment.delete()
    _tags_changed()
    logger.info("Segment %s deleted with its WeChat tag", pk)
