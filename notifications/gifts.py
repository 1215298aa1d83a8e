"""Thank-yous for online gifts: when payments records a paid order (payments.signals.gift_paid,
after the commit), the donor is thanked by WeChat template message (WECHAT_TEMPLATE_GIFT, to
the payer's openid) and by e-mail when they gave an address. One notification per order and
channel (the unique key), so a repeated signal, a duplicate WeChat Pay notification or the
late-order query recording the same order thanks once. Nothing here touches the gift.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from payments.models import OnlineOrder, OrderState

from .models import Channel, Kind, Notification
from .services import _queue
from .wechat_reports import wechat_available

logger = logging.getLogger(__name__)

KEY = "payments.order:{pk}:" + Kind.GIFT_THANKS


def order_id_of(notification: Notification) -> int | None:
    """The order a thank-you is about ("payments.order:<id>:gift_thanks")."""
    parts = notification.key.split(":")
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def _recipients(order: OnlineOrder) -> list[tuple[str, str]]:
    recipients = []
    if order.openid and wechat_available(
        openid=order.openid, template_id=settings.WECHAT_TEMPLATE_GIFT
    ):
        recipients.append((Channel.WECHAT, order.openid))
    if order.email:
        recipients.append((Channel.EMAIL, order.email))
    return recipients


def gift_thank(*, order_id: int) -> list[Notification]:
    """Create (and queue after the commit) the thank-yous of a paid order; returns those
    created now (none when the order is not paid or was thanked already)."""
    order = OnlineOrder.objects.filter(pk=order_id, state=OrderState.PAID).first()
    if order is None or order.gift_id is None:
        return []
    created = []
    for channel, recipient in _recipients(order):
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    key=KEY.format(pk=order.pk),
                    channel=channel,
                    kind=Kind.GIFT_THANKS,
                    recipient=recipient,
                )
        except IntegrityError:
            continue  # thanked already on this channel
        created.append(notification)
        transaction.on_commit(lambda pk=notification.pk: _queue(pk), robust=True)
    return created
