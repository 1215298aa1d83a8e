"""Push notices: a WeChat push's author hears when it is approved, sent or fails.

By template message (or subscription notification) to the WeChat they linked for previews
(wechat.PreviewRecipient), else by e-mail; one notification per push and event (the unique key;
a push approved again after its send time moved is a new event).
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from wechat.models import PreviewRecipient, Push

from .models import Channel, Kind, Notification
from .services import _queue
from .wechat_reports import wechat_available

KINDS = {"approve": Kind.PUSH_APPROVED, "finish": Kind.PUSH_SENT, "fail": Kind.PUSH_FAILED}


def _recipient(user) -> tuple[str, str] | None:
    linked = PreviewRecipient.objects.filter(user=user).values_list("openid", flat=True).first()
    if linked and wechat_available(openid=linked, template_id=settings.WECHAT_TEMPLATE_PUSH):
        return Channel.WECHAT, linked
    if user.email:
        return Channel.EMAIL, user.email
    return None


def push_notify(*, push_id: int, move: str) -> Notification | None:
    """Create (and queue after the commit) the notice of a push's `move` for its author:
    "approve" (unless they approved it themselves), "finish" (sent) and "fail". Other moves,
    pushes without an author and authors without a linked WeChat or an e-mail address: None.
    """
    kind = KINDS.get(move)
    if kind is None:
        return None
    push = Push.objects.select_related("created_by", "approved_by").filter(pk=push_id).first()
    if push is None or push.created_by is None or not push.created_by.is_active:
        return None
    if kind == Kind.PUSH_APPROVED and push.approved_by_id == push.created_by_id:
        return None
    found = _recipient(push.created_by)
    if found is None:
        return None
    channel, recipient = found
    key = f"wechat.push:{push.pk}:{kind}"
    if kind == Kind.PUSH_APPROVED and push.approved_at:
        key += f":{int(push.approved_at.timestamp())}"
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key, channel=channel, kind=kind, push=push, recipient=recipient
            )
    except IntegrityError:
        return None  # told already
    transaction.on_commit(lambda: _queue(notification.pk), robust=True)
    return notification
