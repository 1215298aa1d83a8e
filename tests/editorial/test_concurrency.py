"""Row locks under real concurrency (PostgreSQL only; CI runs these).

Threads use their own connections and real transactions; each closes its connection.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article
from editorial import services
from editorial.errors import TransitionError
from editorial.models import AuditEntry, State
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(*targets):
    """Start every target at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def run(index, target):
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _slow_under_the_lock(monkeypatch, name):
    """Hold the row lock a moment longer, so the second caller surely arrives meanwhile."""
    original = getattr(services, name)

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, name, slow)


def test_two_reviewers_approving_at_once_one_wins(
    postgres_only, monkeypatch, author, reviewer, second_reviewer
):
    _slow_under_the_lock(monkeypatch, "_move")
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    # Each reviewer holds an instance read before either approved.
    copies = [Article.objects.get(pk=article.pk), Article.objects.get(pk=article.pk)]
    results = _run_together(
        lambda: services.item_approve(item=copies[0], by=reviewer),
        lambda: services.item_approve(item=copies[1], by=second_reviewer),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TransitionError), results
    assert AuditEntry.objects.filter(action="editorial.item.approved").count() == 1
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_two_schedulers_at_once_publish_each_item_once(postgres_only, monkeypatch):
    _slow_under_the_lock(monkeypatch, "_move")
    past = timezone.now() - timedelta(minutes=1)
    for _ in range(4):
        ArticleFactory(state=State.SCHEDULED, publish_at=past)
    results = _run_together(services.items_publish_due, services.items_publish_due)
    assert sorted(results) in ([0, 4], [1, 3], [2, 2]), results
    assert AuditEntry.objects.filter(action="editorial.item.published").count() == 4
    assert Article.objects.filter(state=State.PUBLISHED).count() == 4
