"""Celery tasks of the activities app: thin shells (see schedule)."""

from celery import shared_task

from .schedule import reminders_send_due


@shared_task(name="activities.tasks.reminders_send_due_task", acks_late=True)
def reminders_send_due_task() -> int:
    """Send the reminders that are due (beat, every minute). Safe to run twice."""
    return reminders_send_due()
