"""Pushes (群发): composing, approving, sending exactly once, and what WeChat reports back.

A push moves draft → approved → uploading → draft_created → sent → finished (or failed, or
cancelled before it starts). `push_advance` runs the steps; each step is claimed under
`select_for_update` and committed before WeChat is called, and WeChat's answer (uploaded image
URLs, the cover's media_id, the draft's media_id, msg_id/msg_data_id or publish_id) is stored
before the next step begins. A run that dies is resumed from the last stored answer by the
scheduler (`pushes_dispatch_due`) once its lease has passed, without uploading or sending twice:
images and covers are remembered by content hash, and the mass send carries a `clientmsgid`
derived from the push, so WeChat answers a repeated send with 45065 and the earlier msg_id.

Errors: `NotAllowedError` (who may), `TransitionError` (not in this state) and
`InvalidValueError` (bad input), all from editorial.errors; a push that cannot be sent stores
the reason on its row (`error_message`) instead of raising.
"""

import hashlib
import logging
import math
import random
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.queueing import enqueue
from editorial.errors import InvalidValueError, NotAllowedError, TransitionError
from editorial.models import State
from editorial.publishing import (
    Publication,
    item_by_key,
    item_key,
    item_preflight,
    item_publication,
    item_publishable,
    media_name,
    media_open,
)

from . import content
from .errors import (
    DuplicateSendError,
    InvalidRequestError,
    QuotaError,
    RetryableError,
    WeChatError,
)
from .gateway import ARTICLES_MAX, ArticleFields, PublishStatus, WeChatGateway
from .models import (
    CallbackEvent,
    CoverMaterial,
    PreviewRecipient,
    Push,
    PushEvent,
    PushEventKind,
    PushItem,
    PushMode,
    PushState,
    UploadedImage,
)
from .selectors import QUOTA_STATES

logger = logging.getLogger(__name__)

ACTIVE_STATES = (PushState.APPROVED, PushState.UPLOADING, PushState.DRAFT_CREATED, PushState.SENT)
NOT_STARTED_STATES = (PushState.DRAFT, PushState.APPROVED)
DISPATCH_BATCH = 100
# Errors whose answer tells how long to wait ("please wait 1 minute"): retried no sooner.
WAIT_ASKED_CODES = frozenset({45066, 45011})

_STATE_MESSAGES = {
    PushState.DRAFT: _("This push is still awaiting approval."),
    PushState.APPROVED: _("This push is already approved."),
    PushState.UPLOADING: _("This push is already being sent."),
    PushState.DRAFT_CREATED: _("This push is already being sent."),
    PushState.SENT: _("This push has already been sent."),
    PushState.FINISHED: _("This push has already been sent."),
    PushState.FAILED: _("This push has failed."),
    PushState.CANCELLED: _("This push has been cancelled."),
}
PUBLISH_STATUS_MESSAGES = {
    2: _("WeChat's originality check refused the publication."),
    3: _("WeChat could not publish the articles."),
    4: _("WeChat's review refused the publication."),
    5: _("The publication was deleted in WeChat."),
    6: _("WeChat banned the publication."),
}


class _LeaseLost(Exception):
    """Another run took the push over (this one outlived its lease)."""


class PushRetry(RetryableError):
    """A run stopped on a retryable WeChat error (`error`); run the push again in `countdown`
    seconds (the push's `next_run_at` is the scheduler's safety net a lease later)."""

    def __init__(self, error: RetryableError, countdown: int):
        super().__init__(error.errcode, error.errmsg)
        self.error = error
        self.countdown = countdown


# Who may -----------------------------------------------------------------------------------


def _is_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _is_reviewer(user) -> bool:
    return _is_user(user) and user.has_perm("editorial.review_item")


def _state_error(state: str) -> TransitionError:
    message = _STATE_MESSAGES.get(state, _("This push cannot change now."))
    return TransitionError(message, state=state)


def _event(push: Push, kind: str, *, by=None, detail: str = "", **data) -> PushEvent:
    return PushEvent.objects.create(
        push=push, kind=kind, user=by if _is_user(by) else None, detail=str(detail), data=data
    )


def _enqueue(push_id: int) -> None:
    """Queue a run of the push. When the broker is down the push is left for the scheduler:
    it becomes due at once, so beat's next `pushes_dispatch_due` after the broker is back
    queues it (the approval, or the dispatch, is already committed)."""
    from .tasks import push_advance_task

    if not enqueue(push_advance_task, push_id):
        now = timezone.now()
        Push.objects.filter(pk=push_id, state__in=ACTIVE_STATES).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now)
        ).update(next_run_at=now)


# Composing ---------------------------------------------------------------------------------


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
    new = push.pk is None
    if not (_is_user(by) and by.has_perm("wechat.add_push" if new else "wechat.change_push")):
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
            push.created_by = by if _is_user(by) else None
            push.state = PushState.DRAFT
            push.version = 1
        else:
            stored = Push.objects.select_for_update().get(pk=push.pk)
            if stored.state != PushState.DRAFT:
                raise _state_error(stored.state)
            push.state, push.version = stored.state, stored.version + 1
            push.created_by_id = stored.created_by_id
        if push.send_at is not None:
            _check_day(push, push.send_at)
        push.title = items[0].title[:64]
        push.save()
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
        _event(push, PushEventKind.CREATED if new else PushEventKind.CHANGED, by=by)
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


# What counts as changing a push: its items, mode and audience (CREATED, CHANGED) and its
# send time (SCHEDULED).
_CHANGE_EVENTS = (PushEventKind.CREATED, PushEventKind.CHANGED, PushEventKind.SCHEDULED)


def push_changed_by(*, push: Push) -> set[int]:
    """Ids of the users who composed or changed the push since its last approval (its author
    too while it has never been approved): none of them may approve it."""
    events = PushEvent.objects.filter(push=push)
    last_approval = (
        events.filter(kind=PushEventKind.APPROVED).order_by("-created_at", "-pk").first()
    )
    changes = events.filter(kind__in=_CHANGE_EVENTS, user__isnull=False)
    if last_approval is None:
        authors = {push.created_by_id} if push.created_by_id else set()
    else:
        authors = set()
        changes = changes.filter(
            Q(created_at__gt=last_approval.created_at)
            | Q(created_at=last_approval.created_at, pk__gt=last_approval.pk)
        )
    return authors | set(changes.values_list("user_id", flat=True))


def push_may_approve(*, push: Push, user) -> bool:
    """Whether `user` may approve the push now (for buttons; push_approve decides)."""
    if push.state != PushState.DRAFT or not _is_reviewer(user):
        return False
    return settings.EDITORIAL_ALLOW_SELF_APPROVAL or user.pk not in push_changed_by(push=push)


def push_approve(*, push: Push, by, comment: str = "") -> Push:
    """A reviewer approves a push: it is sent at its send time (now when it has none).

    Needs editorial.review_item and, unless EDITORIAL_ALLOW_SELF_APPROVAL, someone who has not
    composed or changed the push since its last approval (see push_changed_by). The items are
    checked again. On a subscription account a second mass send on the same day is refused.
    Raises NotAllowedError, TransitionError (not awaiting approval; of two reviewers at once
    the second gets it) or InvalidValueError.
    """
    if not _is_reviewer(by):
        raise NotAllowedError(_("Only reviewers can approve pushes."))
    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        if not settings.EDITORIAL_ALLOW_SELF_APPROVAL and by.pk in push_changed_by(push=locked):
            if locked.created_by_id == by.pk:
                raise NotAllowedError(_("You cannot approve your own push."))
            raise NotAllowedError(
                _(
                    "You changed this push since its last approval: another reviewer has to "
                    "approve it."
                )
            )
        if locked.state != PushState.DRAFT:
            raise _state_error(locked.state)
        keys = [item.key for item in locked.items.all()]
        push_items_check(keys=keys)
        now = timezone.now()
        send_at = locked.send_at if locked.send_at and locked.send_at > now else now
        _check_day(locked, send_at)
        locked.state = PushState.APPROVED
        locked.approved_by, locked.approved_at = by, now
        locked.send_at = send_at
        locked.next_run_at = send_at if send_at > now else now + _lease()
        locked.save()
        _event(locked, PushEventKind.APPROVED, by=by, detail=comment)
        if send_at <= now:
            transaction.on_commit(lambda: _enqueue(locked.pk))
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
        if locked.state not in NOT_STARTED_STATES:
            raise _state_error(locked.state)
        is_author = _is_user(by) and locked.created_by_id == by.pk
        if not (_is_reviewer(by) or (is_author and by.has_perm("wechat.change_push"))):
            raise NotAllowedError(_("You may not change when this push is sent."))
        if send_at is not None:
            _check_day(locked, send_at)
        was_approved = locked.state == PushState.APPROVED
        locked.send_at = send_at
        if was_approved:
            locked.state = PushState.DRAFT
            locked.approved_by, locked.approved_at = None, None
            locked.next_run_at = None
            locked.version += 1
        locked.save()
        _event(
            locked,
            PushEventKind.SCHEDULED,
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
        if not (_is_reviewer(by) or (_is_user(by) and locked.created_by_id == by.pk)):
            raise NotAllowedError(_("Only the author or a reviewer can cancel a push."))
        if locked.state not in NOT_STARTED_STATES:
            raise _state_error(locked.state)
        locked.state = PushState.CANCELLED
        locked.next_run_at = None
        locked.save()
        _event(locked, PushEventKind.CANCELLED, by=by, detail=reason)
    return locked


# Rendering: items → WeChat articles, images uploaded once ----------------------------------


@dataclass
class _Source:
    """One image file to upload, known by the hash of its bytes."""

    sha256: str
    data: bytes


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_image(src: str) -> _Source:
    name = media_name(src)
    if name is None:
        raise content.ContentError(content.image_problem(src))
    try:
        data = media_open(name)
    except OSError as exc:
        raise content.ContentError(content.image_problem(src)) from exc
    return _Source(_sha(data), data)


@dataclass
class _Rendered:
    publication: Publication
    sources: dict[str, str]  # img src -> sha256
    cover: str  # sha256 of the cover's (or first image's) bytes


def _render(
    items: list[PushItem], gateway: WeChatGateway, *, heartbeat=None
) -> tuple[list[ArticleFields], int, int]:
    """The items as WeChat articles, uploading the images and covers WeChat does not have yet.

    Each upload is recorded as soon as WeChat answers (so a run that dies keeps them). Returns
    (articles, uploaded, reused). Raises ContentError, or the gateway's errors.
    """
    app_id = gateway.app_id
    rendered: list[_Rendered] = []
    images: dict[str, bytes] = {}
    covers: dict[str, bytes] = {}
    for push_item in items:
        item = push_item.item
        if item is None or not item_publishable(item):
            raise content.ContentError(
                gettext("“%(title)s” is no longer approved for publication.")
                % {"title": push_item.title}
            )
        publication = item_publication(item)
        sources = {}
        for src in content.image_sources(publication.content_html):
            source = _read_image(src)
            images[source.sha256] = source.data
            sources[src] = source.sha256
        try:
            cover_bytes = publication.open_cover()
        except OSError as exc:
            raise content.ContentError(
                gettext("The cover image of “%(title)s” is missing.") % {"title": item.title}
            ) from exc
        if cover_bytes is None:
            if not sources:
                raise content.ContentError(
                    gettext("“%(title)s” needs a cover image for WeChat.") % {"title": item.title}
                )
            cover_bytes = images[next(iter(sources.values()))]
        cover_sha = _sha(cover_bytes)
        covers[cover_sha] = cover_bytes
        rendered.append(_Rendered(publication, sources, cover_sha))

    urls = dict(
        UploadedImage.objects.filter(app_id=app_id, sha256__in=images).values_list("sha256", "url")
    )
    media_ids = dict(
        CoverMaterial.objects.filter(app_id=app_id, sha256__in=covers).values_list(
            "sha256", "media_id"
        )
    )
    jobs = {}
    for sha, data in images.items():
        if sha not in urls:
            jobs[("image", sha)] = lambda data=data: gateway.upload_content_image(
                *content.upload_ready_image(data)
            )
    for sha, data in covers.items():
        if sha not in media_ids:
            jobs[("cover", sha)] = lambda data=data: gateway.add_image_material(
                content.cover_jpeg(data), "cover.jpg"
            )
    for finished in content.concurrently(jobs, workers=settings.WECHAT_UPLOAD_CONCURRENCY):
        with transaction.atomic():
            _remember(app_id, finished, sizes={sha: len(data) for sha, data in images.items()})
            if heartbeat is not None:
                heartbeat()
        for (kind, sha), answer in finished:
            if kind == "image":
                urls[sha] = answer
            else:
                media_ids[sha] = answer.media_id

    articles = []
    for entry in rendered:
        pub = entry.publication
        html = content.rewrite_html(
            pub.content_html, image_urls={src: urls[sha] for src, sha in entry.sources.items()}
        )
        articles.append(
            ArticleFields(
                title=pub.title,
                author=pub.author,
                digest=pub.digest,
                content=html,
                content_source_url=pub.url,
                thumb_media_id=media_ids[entry.cover],
            )
        )
    return articles, len(jobs), len(images) + len(covers) - len(jobs)


def _remember(app_id: str, finished: list, *, sizes: dict[str, int]) -> None:
    """Record uploads WeChat answered. Another run may have recorded the same image meanwhile:
    both URLs work, the first one recorded stays."""
    UploadedImage.objects.bulk_create(
        [
            UploadedImage(app_id=app_id, sha256=sha, url=answer, size=sizes.get(sha, 0))
            for (kind, sha), answer in finished
            if kind == "image"
        ],
        ignore_conflicts=True,
    )
    CoverMaterial.objects.bulk_create(
        [
            CoverMaterial(app_id=app_id, sha256=sha, media_id=answer.media_id, url=answer.url)
            for (kind, sha), answer in finished
            if kind == "cover"
        ],
        ignore_conflicts=True,
    )


def _articles_of(items: list[PushItem]) -> list[ArticleFields]:
    return [
        ArticleFields(
            title=i.title,
            author=i.author,
            digest=i.digest,
            content=i.content,
            content_source_url=i.source_url,
            thumb_media_id=i.thumb_media_id,
        )
        for i in items
    ]


# Preview -----------------------------------------------------------------------------------


def preview_openid(*, user) -> str:
    """The openid `user` last received a preview on ("" when none)."""
    recipient = PreviewRecipient.objects.filter(user=user).first() if _is_user(user) else None
    return recipient.openid if recipient else ""


def push_preview(*, push: Push, by, openid: str, gateway: WeChatGateway | None = None) -> str:
    """Send the push as it would look now to one follower (mass/preview; no quota used) and
    remember `openid` as `by`'s preview recipient. Returns the preview's msg_id.

    Uploads what WeChat lacks (remembered for the real send) and makes a draft of its own.
    Raises NotAllowedError, TransitionError (cancelled), InvalidValueError (no openid, or an
    item WeChat would refuse) or a WeChatError (its `user_message` says why).
    """
    if not (_is_reviewer(by) or (_is_user(by) and by.has_perm("wechat.change_push"))):
        raise NotAllowedError(_("You may not preview WeChat pushes."))
    openid = (openid or "").strip()
    if not openid:
        raise InvalidValueError(gettext("Give the openid of the WeChat account to preview on."))
    if push.state == PushState.CANCELLED:
        raise _state_error(push.state)
    gateway = gateway or WeChatGateway()
    items = list(push.items.select_related("content_type"))
    try:
        articles = _render(items, gateway)[0]
    except content.ContentError as exc:
        raise InvalidValueError(str(exc)) from exc
    media_id = gateway.add_draft(articles)
    msg_id = gateway.mass_preview(media_id=media_id, openid=openid)
    previous = Push.objects.filter(pk=push.pk).values_list("preview_media_id", flat=True).first()
    Push.objects.filter(pk=push.pk).update(
        preview_media_id=media_id, preview_sent_at=timezone.now()
    )
    PreviewRecipient.objects.update_or_create(user=by, defaults={"openid": openid})
    _event(push, PushEventKind.PREVIEWED, by=by, detail=openid, msg_id=msg_id)
    if previous:
        try:
            gateway.delete_draft(previous)
        except WeChatError:
            logger.info("Could not delete the earlier preview draft %s", previous)
    return msg_id


# Sending: the steps ------------------------------------------------------------------------


def _lease() -> timedelta:
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
        push.lease_token, push.lease_until = token, now + _lease()
        push.next_run_at = now + _lease()  # if this run dies, the scheduler resumes after it
        if push.state == PushState.APPROVED:
            push.state = PushState.UPLOADING
            _event(push, PushEventKind.UPLOADING)
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
        push.lease_until = now + _lease()
        push.next_run_at = now + _lease()
        yield push


def _heartbeat(push_id: int, token: str):
    def beat():
        now = timezone.now()
        Push.objects.filter(pk=push_id, lease_token=token).update(
            lease_until=now + _lease(), next_run_at=now + _lease()
        )

    return beat


def _step_upload(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    """Upload what WeChat lacks, store the rendered articles, then create the draft."""
    items = list(push.items.select_related("content_type"))
    if not all(item.rendered for item in items):
        articles, uploaded, reused = _render(items, gateway, heartbeat=_heartbeat(push.pk, token))
        with _locked(push.pk, token) as locked:
            for item, article in zip(items, articles, strict=True):
                item.title, item.author, item.digest = article.title, article.author, article.digest
                item.source_url, item.content = article.content_source_url, article.content
                item.thumb_media_id = article.thumb_media_id
                item.save()
            _event(locked, PushEventKind.IMAGES_UPLOADED, uploaded=uploaded, reused=reused)
            locked.save()
    media_id = gateway.add_draft(_articles_of(items))
    with _locked(push.pk, token) as locked:
        locked.draft_media_id = media_id
        locked.state = PushState.DRAFT_CREATED
        locked.save()
        _event(locked, PushEventKind.DRAFT_CREATED, media_id=media_id)
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
            return _sent_answer_lost(push.pk, token)
        raise
    with _locked(push.pk, token) as locked:
        now = timezone.now()
        locked.msg_id, locked.msg_data_id = msg_id, msg_data_id or locked.msg_data_id
        locked.state, locked.sent_at = PushState.SENT, now
        locked.save()
        sent_event = _event(locked, PushEventKind.SENT, msg_id=msg_id, duplicate=duplicate)
        if locked.waiting_for_confirmation:
            _event(locked, PushEventKind.WAITING)
    if duplicate and msg_id:
        try:
            status = gateway.mass_status(msg_id).status
        except WeChatError as exc:
            status = exc.user_message
        sent_event.data = {**sent_event.data, "status": status}
        sent_event.save(update_fields=["data"])
    _apply_stored_events(locked.pk)
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


def _sent_answer_lost(push_id: int, token: str) -> None:
    with _locked(push_id, token) as locked:
        locked.state, locked.sent_at = PushState.SENT, timezone.now()
        locked.answer_lost = True
        locked.save()
        _event(
            locked,
            PushEventKind.SENT,
            detail=gettext(
                "WeChat took an earlier attempt but its answer was lost; waiting for WeChat's "
                "notice."
            ),
            answer_lost=True,
        )
    return None


def _step_publish(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    with _locked(push.pk, token) as locked:
        earlier_attempts = locked.send_attempts
        locked.send_attempts += 1
        locked.send_started_at = locked.send_started_at or timezone.now()
        locked.save()
    # freepublish/submit has no clientmsgid: if the draft is gone, the earlier submit took it.
    if earlier_attempts and _draft_gone(gateway, locked.draft_media_id):
        with _locked(push.pk, token) as locked:
            locked.state, locked.sent_at = PushState.SENT, timezone.now()
            locked.answer_lost = True
            locked.save()
            _event(
                locked,
                PushEventKind.PUBLISHING,
                detail=gettext(
                    "WeChat accepted the publication but its answer was lost; waiting for "
                    "WeChat's notice."
                ),
            )
        return None
    publish_id = gateway.publish_submit(locked.draft_media_id)
    with _locked(push.pk, token) as locked:
        locked.publish_id = publish_id
        locked.state, locked.sent_at = PushState.SENT, timezone.now()
        locked.save()
        _event(locked, PushEventKind.PUBLISHING, publish_id=publish_id)
    _apply_stored_events(locked.pk)
    return None


def _step_wait(push: Push, gateway: WeChatGateway, token: str) -> Push | None:
    """A sent push whose finish notice has not come: apply a stored one, else ask WeChat."""
    _apply_stored_events(push.pk)
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
                    _finish(
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
                    _finish_publication(locked, status)
        return None
    if push.mode == PushMode.MASS and push.msg_id and push.sent_at + timeout <= now:
        status = gateway.mass_status(push.msg_id).status
        with transaction.atomic():
            locked = Push.objects.select_for_update().get(pk=push.pk)
            if locked.state != PushState.SENT:
                return None
            if status == "SEND_SUCCESS":
                _finish(locked, detail=gettext("WeChat reports the send as delivered."))
            elif status in ("SEND_FAIL", "DELETE"):
                message = gettext("WeChat reports the send as failed (%(status)s).")
                _fail(locked, message=message % {"status": status})
            elif locked.waiting_for_confirmation:
                _fail(
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
                _fail(locked, error=exc)
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
            _event(
                push,
                PushEventKind.RETRY,
                detail=retry.user_message,
                errcode=retry.errcode,
                attempt=attempt,
                countdown=countdown,
            )
            # The task's own retry comes after `countdown`; this is the safety net, a lease
            # later, if that retry is lost (a worker killed while holding it, a broker outage).
            push.next_run_at = timezone.now() + timedelta(seconds=countdown) + _lease()
        elif push.state in ACTIVE_STATES:
            push.next_run_at = _next_look(push)
        else:
            push.next_run_at = None
        push.save()
    return countdown


def _fail(push: Push, *, error: Exception | None = None, message: str = "") -> None:
    """Mark a locked push failed with its reason."""
    push.state = PushState.FAILED
    push.finished_at = timezone.now()
    push.next_run_at = None
    push.lease_token, push.lease_until = "", None
    if isinstance(error, WeChatError):
        push.error_code = error.errcode
        push.error_message = error.user_message
    elif error is not None:
        push.error_message = str(error)
    else:
        push.error_message = message
    push.save()
    _event(
        push,
        PushEventKind.FAILED,
        detail=push.error_message,
        errcode=push.error_code,
        errmsg=getattr(error, "errmsg", ""),
    )


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
            _fail(push, error=error)
            transaction.on_commit(lambda: push_drafts_delete(push_id=push_id))
            return push
        resend_until = (push.send_started_at or now) + settings.WECHAT_PUSH_RESEND_WINDOW
        if push.state == PushState.DRAFT_CREATED and now >= resend_until:
            _fail(
                push,
                message=gettext(
                    "WeChat never answered whether it took the send. Check the sent messages "
                    "on mp.weixin.qq.com before sending it again."
                ),
            )
            return push
        if push.next_run_at is None or push.next_run_at < now:
            push.next_run_at = now + _lease()
            push.save(update_fields=["next_run_at"])
        logger.warning("Push %s: WeChat's answer still unknown; the scheduler asks again", push.pk)
    return push


def _finish(push: Push, *, detail: str = "", **data) -> None:
    push.state = PushState.FINISHED
    push.finished_at = timezone.now()
    push.next_run_at = None
    push.lease_token, push.lease_until = "", None
    push.save()
    _event(push, PushEventKind.FINISHED, detail=detail, **data)


# Drafts WeChat no longer needs --------------------------------------------------------------


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


# Scheduling --------------------------------------------------------------------------------


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
            push.next_run_at = now + _lease()
            push.save(update_fields=["next_run_at"])
        ids = [push.pk for push in due]
        transaction.on_commit(lambda: [_enqueue(push_id) for push_id in ids])
    return len(ids)


# What WeChat reports back ------------------------------------------------------------------


def _apply_stored_events(push_id: int) -> None:
    """Apply finish notices that arrived before the push knew its msg_id or publish_id."""
    push = Push.objects.get(pk=push_id)
    lookup = None
    if push.msg_id:
        lookup = {"event": CallbackEvent.MASS_SEND_FINISHED, "msg_id": push.msg_id}
    elif push.publish_id:
        lookup = {"event": CallbackEvent.PUBLISH_FINISHED, "publish_id": push.publish_id}
    if lookup is None:
        return
    for event in CallbackEvent.objects.filter(**lookup, processed=False).order_by("pk"):
        push_callback_apply(event=event)


def push_callback_apply(*, event: CallbackEvent) -> Push | None:
    """Apply a MASSSENDJOBFINISH (WeChat's counts) or PUBLISHJOBFINISH (article id and URLs)
    to its push, publish its items on the site when WeChat succeeded, and mark the event
    processed. An event
    for no known push stays unprocessed: the push applies it once it stores its id. Safe to
    apply twice."""
    with transaction.atomic():
        push = _push_of(event)
        if push is None:
            return None
        payload = event.payload or {}
        if push.state == PushState.SENT:
            if event.event == CallbackEvent.MASS_SEND_FINISHED:
                _finish_mass(push, payload)
            else:
                _finish_publication(push, _publish_status_of(push, payload))
        event.mark_processed()
    return push


def _push_of(event: CallbackEvent) -> Push | None:
    pushes = Push.objects.select_for_update()
    if event.event == CallbackEvent.MASS_SEND_FINISHED and event.msg_id:
        return pushes.filter(msg_id=event.msg_id).first()
    if event.event == CallbackEvent.PUBLISH_FINISHED and event.publish_id:
        push = pushes.filter(publish_id=event.publish_id).first()
        if push is None:
            # A publication whose submit answer was lost: the oldest one waiting adopts it.
            push = (
                pushes.filter(state=PushState.SENT, mode=PushMode.PUBLISH, answer_lost=True)
                .filter(publish_id="")
                .order_by("sent_at", "pk")
                .first()
            )
            if push is not None:
                push.publish_id = event.publish_id
                push.save(update_fields=["publish_id"])
        return push
    return None


def _publish_status_of(push: Push, payload: dict) -> PublishStatus:
    return PublishStatus(
        publish_id=push.publish_id,
        status=int(payload.get("publish_status", -1)),
        article_id=payload.get("article_id", ""),
        article_urls=[i.get("url", "") for i in sorted(payload.get("article_urls", []), key=_idx)],
        fail_idx=list(payload.get("fail_idx", [])),
    )


def _idx(entry: dict) -> int:
    return int(entry.get("idx", 0) or 0)


def _finish_mass(push: Push, payload: dict) -> None:
    push.total_count = payload.get("total_count")
    push.filter_count = payload.get("filter_count")
    push.sent_count = payload.get("sent_count")
    push.error_count = payload.get("error_count")
    push.finish_status = str(payload.get("status", ""))[:64]
    urls = {_idx(u): u.get("url", "") for u in payload.get("article_urls", [])}
    if not push.msg_data_id:
        # A send recovered through 45065 learnt only its msg_id (mass/get carries no more); its
        # article URLs carry the msg_data_id the statistics are keyed by.
        push.msg_data_id = _msg_data_id_of(urls.values())
    for item in push.items.all():
        if urls.get(item.position):
            item.article_url = urls[item.position][:1024]
            item.save(update_fields=["article_url"])
    counts = {
        k: payload.get(k) for k in ("total_count", "filter_count", "sent_count", "error_count")
    }
    if payload.get("succeeded"):
        # Followers now have the items, and their "read the original" links lead to the site:
        # items still waiting there (approved, scheduled) are published, as a publication's are.
        _publish_items(list(push.items.select_related("content_type")))
        _finish(push, **counts)
    else:
        _fail(
            push,
            message=gettext("WeChat did not send the message: %(status)s")
            % {"status": push.finish_status},
        )


def _msg_data_id_of(urls: Iterable[str]) -> str:
    """The msg_data_id in WeChat article URLs (`mid`, the id the datacube statistics use as
    "<msg_data_id>_<index>"), or "" when no URL carries one."""
    for url in urls:
        mid = parse_qs(urlsplit(url or "").query).get("mid", [""])[0]
        if mid.isdigit():
            return mid[:64]
    return ""


def _finish_publication(push: Push, status: PublishStatus) -> None:
    push.finish_status = str(status.status)
    if not status.is_success:
        message = PUBLISH_STATUS_MESSAGES.get(status.status, _("WeChat could not publish."))
        _fail(push, message=str(message))
        return
    push.article_id = status.article_id[:128]
    items = list(push.items.select_related("content_type"))
    for item, url in zip(items, status.article_urls, strict=False):
        item.article_url = url[:1024]
        item.save(update_fields=["article_url"])
    _publish_items(items)
    _finish(push, article_id=push.article_id)


def _publish_items(items: list[PushItem]) -> None:
    from editorial.errors import EditorialError
    from editorial.services import item_publish

    for push_item in items:
        item = push_item.item
        if item is None or item.state not in (State.APPROVED, State.SCHEDULED):
            continue
        try:
            item_publish(item=item, by=None)
        except EditorialError:
            logger.info("Item %s changed state meanwhile; not published", item_key(item))


# Audience and quota ------------------------------------------------------------------------


def tag_choices() -> list[tuple[int, str]]:
    """(id, name) of the account's WeChat tags, for choosing a push's audience; listed through
    the gateway and cached for WECHAT_TAGS_CACHE_SECONDS. [] when WeChat cannot be reached."""
    key = f"wechat:tags:{settings.WECHAT_APP_ID}"
    tags = cache.get(key)
    if tags is None:
        try:
            tags = [(tag.id, tag.name) for tag in WeChatGateway().tags_list()]
        except WeChatError as exc:
            # Remembered too, so a page listing the tags does not wait for WeChat every time.
            logger.warning("Could not list the WeChat tags: %s", exc)
            tags = []
        cache.set(key, tags, settings.WECHAT_TAGS_CACHE_SECONDS)
    return [(int(tag_id), name) for tag_id, name in tags]


def tag_choices_forget() -> None:
    """Forget the cached tag list (after tags were created, renamed or deleted)."""
    cache.delete(f"wechat:tags:{settings.WECHAT_APP_ID}")
