"""Queries over articles that more than one page needs."""

from django.db.models import Count, Prefetch

from alumni.models import Branch
from editorial.models import ReviewComment

from .models import Article


def branch_submissions(*, user):
    """Articles of the branches `user` is a liaison of, newest first, with their review comments.

    The comments, branch and photo count come with a fixed number of queries, whatever the size.
    """
    return (
        Article.objects.filter(branch__in=Branch.objects.filter(liaisons=user))
        .select_related("branch")
        .annotate(photo_count=Count("photos"))
        .prefetch_related(
            Prefetch(
                "review_comments",
                queryset=ReviewComment.objects.order_by("created_at", "pk"),
                to_attr="comments",
            )
        )
        .order_by("-created_at", "-pk")
    )
