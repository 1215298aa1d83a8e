"""What WeChat reports back about a push (MASSSENDJOBFINISH, PUBLISHJOBFINISH), applied to it.

Parsing and checking the callback is wechat.callbacks'; this module only applies a stored
CallbackEvent to its push.
"""

import logging
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.actors import SYSTEM
from editorial.models import State
from editorial.publishing import item_key

from ..gateway import PublishStatus
from ..models import CallbackEvent, Push, PushItem, PushMode, PushState
from .workflow import fail, finish

logger = logging.getLogger(__name__)

PUBLISH_STATUS_MESSAGES = {
    2: _("WeChat's originality check refused the publication."),
    3: _("WeChat could not publish the articles."),
    4: _("WeChat's review refused the publication."),
    5: _("The publication was deleted in WeChat."),
    6: _("WeChat banned the publication."),
}


def apply_stored_events(push_id: int) -> None:
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
                finish_publication(push, _publish_status_of(push, payload))
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
        finish(push, **counts)
    else:
        fail(
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


def finish_publication(push: Push, status: PublishStatus) -> None:
    push.finish_status = str(status.status)
    if not status.is_success:
        message = PUBLISH_STATUS_MESSAGES.get(status.status, _("WeChat could not publish."))
        fail(push, message=str(message))
        return
    push.article_id = status.article_id[:128]
    items = list(push.items.select_related("content_type"))
    for item, url in zip(items, status.article_urls, strict=False):
        item.article_url = url[:1024]
        item.save(update_fields=["article_url"])
    _publish_items(items)
    finish(push, article_id=push.article_id)


def _publish_items(items: list[PushItem]) -> None:
    from editorial.errors import EditorialError
    from editorial.services import item_publish

    for push_item in items:
        item = push_item.item
        # Items waiting for their time on the site; published ones already are.
        if item is None or item.state != State.SCHEDULED:
            continue
        try:
            item_publish(item=item, by=SYSTEM)
        except EditorialError:
            logger.info("Item %s changed state meanwhile; not published", item_key(item))
