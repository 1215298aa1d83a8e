"""Bounds of the money fields, read from settings when a value is checked (not frozen into a
migration), so an office can raise them without a schema change."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.money import grouped


def validate_gift_amount(value: Decimal) -> None:
    """Refuse a gift above DONATIONS_GIFT_MAX_AMOUNT (a typo of a few zeros, or worse)."""
    limit = settings.DONATIONS_GIFT_MAX_AMOUNT
    if value is not None and value > limit:
        raise ValidationError(
            _(
                "A single gift may be at most ¥%(max)s; ¥%(amount)s is more. "
                "Check the amount, or ask an office admin about larger gifts."
            ),
            code="gift_amount_too_large",
            params={"max": grouped(limit), "amount": grouped(value)},
        )


def validate_project_goal(value: Decimal) -> None:
    """Refuse a project goal above DONATIONS_PROJECT_MAX_GOAL."""
    limit = settings.DONATIONS_PROJECT_MAX_GOAL
    if value is not None and value > limit:
        raise ValidationError(
            _("A project's goal may be at most ¥%(max)s; ¥%(amount)s is more."),
            code="project_goal_too_large",
            params={"max": grouped(limit), "amount": grouped(value)},
        )
