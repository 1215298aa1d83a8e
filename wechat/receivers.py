"""The wechat app's listeners (connected in WechatConfig.ready)."""

import logging

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from editorial.signals import item_approved, item_published, item_withdrawn

from .models import CallbackEvent
from .signals import callback_received

logger = logging.getLogger(__name__)


@receiver(callback_received, dispatch_uid="wechat.push_job_finished")
def push_job_finished(sender, event: CallbackEvent, **kwargs):
    """WeChat says a mass send or a publication finished: store it on the push now.

    Done in the callback request rather than a task: it is a few writes under one row lock (at
    most 8 items) and no call to WeChat, well inside WeChat's 5 seconds, and needs no broker. If
    it fails, the event stays unprocessed and the push's next scheduled look applies it.
    """
    if event.event in (CallbackEvent.MASS_SEND_FINISHED, CallbackEvent.PUBLISH_FINISHED):
        from .services import push_callback_apply

        push_callback_apply(event=event)


@receiver(item_approved, dispatch_uid="wechat.push_on_approval")
def push_on_approval(sender, item, by, **kwargs):
    """With WECHAT_PUSH_ON_APPROVAL set, an approved item gets a one-item push composed in that
    mode by its author; the push still needs a reviewer's approval."""
    mode = settings.WECHAT_PUSH_ON_APPROVAL
    if not mode:
        return
    from editorial.errors import EditorialError
    from editorial.publishing import item_key

    from .services import push_compose_for

    try:
        push_compose_for(item_keys=[item_key(item)], mode=mode, author=item.created_by or by)
    except EditorialError as exc:
        logger.warning("No push composed for %s: %s", item_key(item), exc)


@receiver(post_save, sender="wechat.ReplyRule", dispatch_uid="wechat.replies_changed_save")
@receiver(post_delete, sender="wechat.ReplyRule", dispatch_uid="wechat.replies_changed_delete")
def reply_rules_changed(sender, **kwargs):
    """Every process rebuilds its automatic replies on its next callback."""
    from .replies import replies_changed

    replies_changed()


@receiver(item_published, dispatch_uid="wechat.replies_item_published")
@receiver(item_withdrawn, dispatch_uid="wechat.replies_item_withdrawn")
def reply_cards_changed(sender, item, **kwargs):
    """A news card shows a published item: publishing or withdrawing one may change a card."""
    from .replies import replies_changed

    replies_changed()
