"""Queries over alumni and branches that pages and the admin share."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from editorial.models import State

from .models import Branch

# A liaison's submission counts once the office has accepted it, published or not yet.
ACCEPTED_STATES = (State.APPROVED, State.SCHEDULED, State.PUBLISHED)


def branch_leaderboard(*, now=None) -> QuerySet[Branch]:
    """Every branch with its accepted liaison submissions (articles carrying the branch) counted
    over the last 30 days, the last 12 months and all time, by submission date; one query."""
    now = now or timezone.now()
    accepted = Q(articles__state__in=ACCEPTED_STATES)
    return Branch.objects.annotate(
        last_30_days=Count(
            "articles", filter=accepted & Q(articles__created_at__gte=now - timedelta(days=30))
        ),
        last_12_months=Count(
            "articles", filter=accepted & Q(articles__created_at__gte=now - timedelta(days=365))
        ),
        all_time=Count("articles", filter=accepted),
    )
