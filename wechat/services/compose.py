"""Composing a push and the people's moves on it: save, approve, schedule, cancel, preview."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.actors import is_person
from editorial.errors import InvalidValueError, NotAllowedError
from editorial.publishing import item_by_key, item_preflight, item_publishable

from .. import content
from ..errors import WeChatError
from ..gateway import ARTICLES_MAX, WeChatGateway
from ..models import PreviewRecipient, Push, PushEventKind, PushItem, PushMode, PushState
from ..selectors import QUOTA_STATES
from .pipeline import enqueue_run, lease
from .render import render
from .workflow import (
    check,
    check_who,
    move,
    record,
)

logger = logging.getLogger(__name__)


def push_items_check(*, keys: Iterable[str]) -> list:
    """The items the keys name, in order, if they make a valid push: 1 to 8 distinct items,
    each approved and with nothing WeChat would refuse. Raises InvalidValueError naming every
    problem (`errors["items"]`)."""
    keys = [k for k in keys if k]
    problems = []
    if not keys:
        problems.append(gettext("Choose at least one item."))
    if len(keys) > ARTICLES_MAX:
        problems.append(gettext("A push carries at most %(max)s items.") % {"max": ARTICLES_MAX})
    if len(set(keys)) != len(keys):
        problems.append(gettext("Each item can appear only once in a push."))
    items = []
    for key in keys:
        try:
            item = item_by_key(key)
        except LookupError:
            problems.append(gettext("An item of this push no longer exists."))
            continue
        items.append(item)
        if not item_publishable(item):
            problems.append(
                gettext("“%(title)s” has not been approved (or was withdrawn).")
                % {"title": item.title}
            )
            continue
        problems += [f"“{item.title}”: {problem}" for problem in item_preflight(item)]
    if problems:
        raise InvalidValueError(" ".join(problems), errors={"items": problems})
    return items


def _subscription_conflict(push: Push, send_at: datetime) -> Push | None:
    """Another mass send on the same day, which a subscription account cannot make."""
    if settings.WECHAT_ACCOUNT_TYPE != "subscription" or push.mode != PushMode.MASS:
        return None
    day = timezone.localdate(send_at)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return (
        Push.objects.filter(mode=PushMode.MASS, state__in=QUOTA_STATES)
        .filter(send_at__gte=start, send_at__lt=start + timedelta(days=1))
        .exclude(pk=push.pk)
        .first()
    )


def _check_day(push: Push, send_at: datetime) -> None:
    if _subscription_conflict(push, send_at) is not None:
        day = timezone.localdate(send_at)
        raise InvalidValueError(
            gettext(
                "A subscription account can mass-send once a day, and %(day)s already has a "
                "mass send. Choose another day, or publish without notifying."
            )
            % {"day": day.isoformat()},
            errors={"send_at": [gettext("This day already has a mass send.")]},
        )


def _clean_audience(mode: str, tag_id, tag_name: str) -> tuple[int | None, str]:
    if mode not in PushMode.values:
        raise InvalidValueError(gettext("Choose how the push goes out."))
    if mode == PushMode.PUBLISH or tag_id in (None, ""):
        return None, ""
    try:
        return int(tag_id), (tag_name or "").strip()[:64]
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(gettext("Choose a WeChat tag.")) from exc


def push_save(*, push: Push, by, keys: list[str]) -> Push:
    """Save a new push, or changes to one awaiting approval, with the items `keys` name in order.

    `push` carries mode, tag_id/tag_name (None: all followers) and send_at (None: on approval).
    A new push is created by `by`; a change raises the push's version. Raises NotAllowedError
    without the wechat.add_push / change_push permission, TransitionError once the push has been
    approved, InvalidValueError for bad items (see push_items_check) or a send time in the past.
    """
    if push.pk is not None:
        check_who(push, "change", by=by)
    elif not (is_person(by) and by.has_perm("wechat.add_push")):
        raise NotAllowedError(_("You may not compose WeChat pushes."))
    return _compose(push=push, by=by, keys=keys)


def push_compose_for(*, item_keys: list[str], mode: str, author) -> Push:
    """Compose a push on the system's behalf (WECHAT_PUSH_ON_APPROVAL), in `author`'s name; no
    permission is needed. Raises InvalidValueError as push_save does."""
    return _compose(push=Push(mode=mode), by=author, keys=item_keys)


def _compose(*, push: Push, by, keys: list[str]) -> Push:
    new = push.pk is None
    items = push_items_check(keys=keys)
    push.tag_id, push.tag_name = _clean_audience(push.mode, push.tag_id, push.tag_name)
    if push.send_at is not None and push.send_at <= timezone.now():
        raise InvalidValueError(
            gettext("Choose a send time in the future, or leave it empty to send on approval."),
            errors={"send_at": [gettext("Choose a time in the future.")]},
        )
    with transaction.atomic():
        if new:
            push.created_by = by if is_person(by) else None
            push.state = PushState.DRAFT
            push.version = 1
        else:
            stored = Push.objects.select_for_update().get(pk=push.pk)
            check(stored, "change", by=by)
            push.state, push.version = stored.state, stored.version + 1
            push.created_by_id = stored.created_by_id
        if push.send_at is not None:
            _check_day(push, push.send_at)
        push.title = items[0].title[:64]
        if new:
            push.save()
            record(push, PushEventKind.CREATED, by=by)
        else:
            move(push, "change", by=by)
        push.items.all().delete()
        PushItem.objects.bulk_create(
            PushItem(
                push=push,
                position=position,
                content_type=ContentType.objects.get_for_model(item),
                object_id=item.pk,
                title=item.title[:64],
            )
            for position, item in enumerate(items, 1)
        )
    return push


def push_create(
    *,
    by,
    keys: list[str],
    mode: str = PushMode.MASS,
    tag_id: int | None = None,
    tag_name: str = "",
    send_at: datetime | None = None,
) -> Push:
    """Compose a push awaiting approval; see push_save for what it raises."""
    push = Push(mode=mode, tag_id=tag_id, tag_name=tag_name, send_at=send_at)
    return push_save(push=push, by=by, keys=keys)


def push_single(*, by, key: str, mode: str = PushMode.MASS, **options) -> Push:
    """A push of one approved item (the "push to WeChat" action of the content admins)."""
    return push_create(by=by, keys=[key], mode=mode, **options)


def push_approve(*, push: Push, by, comment: str = "") -> Push:
    """A reviewer approves a push: it is sent at its send time (now when it has none).

    Needs editorial.review_item and, unless EDITORIAL_ALLOW_SELF_APPROVAL, someone who has not
    composed or changed the push since its last approval (see push_changed_by). The items are
    checked again. On a subscription account a second mass send on the same day is refused.
    Raises NotAllowedError, TransitionError (not awaiting approval; of two reviewers at once
    the second gets it) or InvalidValueError.
    """
    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        check(locked, "approve", by=by)
        keys = [item.key for item in locked.items.all()]
        push_items_check(keys=keys)
        now = timezone.now()
        send_at = locked.send_at if locked.send_at and locked.send_at > now else now
        _check_day(locked, send_at)
        locked.approved_by, locked.approved_at = by, now
        locked.send_at = send_at
        locked.next_run_at = send_at if send_at > now else now + lease()
        move(locked, "approve", by=by, detail=comment)
        if send_at <= now:
            transaction.on_commit(lambda: enqueue_run(locked.pk))
    return locked


def push_schedule(*, push: Push, by, send_at: datetime | None) -> Push:
    """Change when a push not started yet is sent (None: as soon as it is approved).

    Its author (with wechat.change_push) or a reviewer may. An approved push goes back to
    awaiting approval: the send time is part of what the reviewer approved, and whoever moves
    it may not approve it again (push_changed_by). Raises NotAllowedError, TransitionError once
    sending has started, InvalidValueError for a past time or a second mass send that day on a
    subscription account.
    """
    if send_at is not None and timezone.is_naive(send_at):
        send_at = timezone.make_aware(send_at)
    now = timezone.now()
    if send_at is not None and send_at <= now:
        raise InvalidValueError(gettext("Choose a send time in the future."))
    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        check(locked, "schedule", by=by)
        if send_at is not None:
            _check_day(locked, send_at)
        was_approved = locked.state == PushState.APPROVED
        locked.send_at = send_at
        if was_approved:
            locked.approved_by, locked.approved_at = None, None
            locked.next_run_at = None
            locked.version += 1
        move(
            locked,
            "schedule",
            by=by,
            detail=timezone.localtime(send_at).strftime("%Y-%m-%d %H:%M") if send_at else "",
            back_to_approval=was_approved,
        )
    return locked


def push_cancel(*, push: Push, by, reason: str = "") -> Push:
    """Cancel a push before it starts. Its author or a reviewer may. Raises NotAllowedError or
    TransitionError (it has started, or ended)."""
    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        check(locked, "cancel", by=by)
        locked.next_run_at = None
        move(locked, "cancel", by=by, detail=reason)
    return locked


def preview_openid(*, user) -> str:
    """The openid of `user`'s linked WeChat ("" when none); for sending, never for showing."""
    recipient = PreviewRecipient.objects.filter(user=user).first() if is_person(user) else None
    return recipient.openid if recipient else ""


def push_preview(*, push: Push, by, openid: str = "", gateway: WeChatGateway | None = None) -> str:
    """Send the push as it would look now to `by`'s own WeChat (mass/preview; no quota used).
    Returns the preview's msg_id.

    The preview goes to the WeChat `by` linked (wechat.services.preview_link); only a superuser
    may name another `openid` instead, which is not remembered. Uploads what WeChat lacks
    (remembered for the real send) and makes a draft of its own. Raises NotAllowedError (also
    for an openid typed by anyone else), TransitionError (final), InvalidValueError (no WeChat
    linked, or an item WeChat would refuse) or a WeChatError (its `user_message` says why).
    """
    check_who(push, "preview", by=by)
    openid = (openid or "").strip()
    if openid and not by.is_superuser:
        raise NotAllowedError(_("Only an administrator may send a preview to a typed openid."))
    openid = openid or preview_openid(user=by)
    if not openid:
        raise InvalidValueError(
            gettext(
                "Link your WeChat first: scan the QR code under “Link my WeChat” with WeChat; "
                "previews then go there."
            )
        )
    preview = check(push, "preview", by=by)  # a preview leaves the push where it is
    gateway = gateway or WeChatGateway()
    items = list(push.items.select_related("content_type"))
    try:
        articles = render(items, gateway)[0]
    except content.ContentError as exc:
        raise InvalidValueError(str(exc)) from exc
    media_id = gateway.add_draft(articles)
    msg_id = gateway.mass_preview(media_id=media_id, openid=openid)
    previous = Push.objects.filter(pk=push.pk).values_list("preview_media_id", flat=True).first()
    Push.objects.filter(pk=push.pk).update(
        preview_media_id=media_id, preview_sent_at=timezone.now()
    )
    # Who received it is the event's user; an openid is not shown to whoever reads the timeline.
    record(push, preview.event, by=by, msg_id=msg_id)
    if previous:
        try:
            gateway.delete_draft(previous)
        except WeChatError:
            logger.info("Could not delete the earlier preview draft %s", previous)
    return msg_id
