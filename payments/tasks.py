from celery import shared_task

from .reconciliation import reconcile_yesterday
from .refunds import refunds_resend
from .services import online_giving_enabled, orders_query_late


@shared_task(acks_late=True)
def orders_query_late_task() -> int:
    """Beat, every minute: ask WeChat Pay about unpaid orders whose notification is late
    (lost, delayed), recording the paid ones and closing the expired. Safe to run twice."""
    if not online_giving_enabled():
        return 0
    return orders_query_late()


@shared_task(acks_late=True)
def reconcile_yesterday_task() -> None:
    """Beat, every half hour from 10:00 to 16:30 (Asia/Shanghai): yesterday's trade bill
    against the recorded gifts, until it has been compared once."""
    if online_giving_enabled():
        reconcile_yesterday()


@shared_task(acks_late=True)
def refunds_resend_task() -> int:
    """Beat, every 5 minutes: approved refunds WeChat Pay has not answered (a timeout, WeChat
    Pay unreachable) are sent again under the same number. Safe to run twice."""
    if not online_giving_enabled():
        return 0
    return refunds_resend()
