"""Celery tasks of the notifications app: thin shells that carry ids (see services)."""

from celery import shared_task

from .services import NotificationRetry, notification_send, notifications_dispatch_due


@shared_task(
    name="notifications.tasks.notification_send_task",
    bind=True,
    acks_late=True,
    # The service counts attempts and gives up (NOTIFICATIONS_RETRY_MAX); Celery only waits.
    max_retries=None,
)
def notification_send_task(self, notification_id: int) -> str:
    """Send one notification if it still waits. Safe to run twice."""
    try:
        notification = notification_send(notification_id=notification_id)
    except NotificationRetry as exc:
        raise self.retry(countdown=exc.countdown) from exc
    return notification.state if notification is not None else ""


@shared_task(name="notifications.tasks.notifications_dispatch_due_task", acks_late=True)
def notifications_dispatch_due_task() -> int:
    """Queue notifications that wait without a task (run by beat every minute)."""
    return notifications_dispatch_due()
