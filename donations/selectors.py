"""Read-side queries for donation projects: money raised, progress and the donor wall."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from editorial.models import State

from .models import DonationProject, Gift

# Matches the model's money fields, so SQLite's float sums come back rounded to the fen.
MONEY = DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Beyond this a page says "more than 999 %": a goal set far too low (or a typo) must not put an
# absurd figure on the public page, and nobody reads 20,000,081 % as information.
PERCENT_SHOWN_MAX = 999


def projects_with_progress(queryset: QuerySet[DonationProject]) -> QuerySet[DonationProject]:
    """`queryset` with `raised` (the sum of its gifts, Decimal 0 without gifts) and `donors`
    (the number of gifts) on every project, in the same query."""
    return queryset.annotate(
        raised=Coalesce(Sum("gifts__amount"), Value(Decimal("0.00")), output_field=MONEY),
        donors=Count("gifts"),
    )


@dataclass(frozen=True)
class Progress:
    """How far a project is towards its goal. `percent` is the true share, floored, and may
    pass 100; `bar_percent` is capped at 100 for drawing a bar."""

    raised: Decimal
    goal: Decimal
    percent: int
    donors: int

    @property
    def exact_percent(self) -> Decimal:
        """Raised over goal as a percentage to the hundredth, rounded down (99.99 stays 99.99)."""
        if self.goal <= 0:
            return Decimal(0)
        return (self.raised * HUNDRED / self.goal).quantize(CENT, rounding=ROUND_DOWN)

    @property
    def percent_label(self) -> str:
        """`percent` for people: "150%", or "999%+" beyond PERCENT_SHOWN_MAX."""
        if self.percent > PERCENT_SHOWN_MAX:
            return f"{PERCENT_SHOWN_MAX}%+"
        return f"{self.percent}%"

    @property
    def bar_percent(self) -> Decimal:
        return min(self.exact_percent, HUNDRED)

    @property
    def bar_width(self) -> str:
        """`bar_percent` as CSS wants it, whatever the active language's number format."""
        return f"{self.bar_percent:f}%"

    @property
    def reached(self) -> bool:
        return self.raised >= self.goal


def donation_progress(*, project: DonationProject) -> Progress:
    """The progress of `project`, from its `projects_with_progress` annotations when present
    (no query), else from one aggregate query."""
    raised = getattr(project, "raised", None)
    donors = getattr(project, "donors", None)
    if raised is None or donors is None:
        totals = project.gifts.aggregate(
            raised=Coalesce(Sum("amount"), Value(Decimal("0.00")), output_field=MONEY),
            donors=Count("pk"),
        )
        raised, donors = totals["raised"], totals["donors"]
    raised = Decimal(raised).quantize(CENT)
    goal = project.goal
    percent = int(raised * HUNDRED // goal) if goal > 0 else 0
    return Progress(raised=raised, goal=goal, percent=percent, donors=donors)


@dataclass(frozen=True)
class DonorWall:
    """Gifts whose donors agreed to be named (newest first) and how many gifts were anonymous."""

    gifts: QuerySet[Gift]
    anonymous_count: int


def donor_wall(*, project: DonationProject | None = None, limit: int | None = 50) -> DonorWall:
    """The donor wall of one project, or of every published project when `project` is None.

    `gifts` holds at most `limit` named gifts (all of them when `limit` is None, for paging);
    anonymous gifts are only counted, so their names never reach a public page.
    """
    gifts = Gift.objects.filter(project__state=State.PUBLISHED)
    if project is not None:
        gifts = gifts.filter(project=project)
    counts = gifts.aggregate(anonymous=Count("pk", filter=Q(anonymous=True)))
    named = gifts.filter(anonymous=False).select_related("project").order_by("-donated_on", "-pk")
    if limit is not None:
        named = named[:limit]
    return DonorWall(gifts=named, anonymous_count=counts["anonymous"])
