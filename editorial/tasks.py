"""Celery tasks of the editorial workflow; thin shells around editorial.services."""

from celery import shared_task

from .services import items_publish_due


@shared_task(name="editorial.tasks.items_publish_due_task", acks_late=True)
def items_publish_due_task() -> int:
    """Publish every scheduled item whose time has come (run by beat). Safe to run twice."""
    return items_publish_due()
