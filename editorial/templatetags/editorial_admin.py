"""Template tags for the admin's dashboard: what needs the signed-in user's attention."""

from django import template
from django.urls import reverse

from editorial import selectors
from editorial.models import State
from editorial.registry import content_models

register = template.Library()

SENT_BACK_SHOWN = 10


@register.simple_tag(takes_context=True)
def editorial_attention(context) -> dict:
    """For reviewers, how many items wait for their review; for everyone, their sent-back items."""
    user = context["request"].user
    is_reviewer = user.has_perm("editorial.review_item")
    waiting = len(selectors.items_awaiting_review(user=user)) if is_reviewer else 0
    sent_back = []
    for model in content_models():
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        for item in model.objects.filter(state=State.REJECTED, created_by=user).order_by(
            "-updated_at"
        )[:SENT_BACK_SHOWN]:
            sent_back.append(
                {
                    "item": item,
                    "type": opts.verbose_name,
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk]
                    ),
                }
            )
    sent_back.sort(key=lambda row: row["item"].updated_at, reverse=True)
    return {
        "is_reviewer": is_reviewer,
        "waiting_count": waiting,
        "sent_back": sent_back[:SENT_BACK_SHOWN],
        "queue_url": reverse("admin:editorial_review_queue"),
        "leaderboard_url": reverse("admin:alumni_branch_leaderboard"),
    }
