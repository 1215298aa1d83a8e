"""Read-side figures of online giving for the office: paid online gifts per project, per source
(the give link's ?src=: a push, a QR code) and per day, over a period. Three aggregate queries,
whatever the number of gifts."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import OnlineOrder, OrderState


@dataclass(frozen=True)
class Row:
    label: str
    gifts: int
    total: Decimal


def _rows(queryset, field: str, label=lambda value: value) -> list[Row]:
    return [
        Row(
            label=label(row[field]),
            gifts=row["gifts"],
            total=(Decimal(row["fen"] or 0) / 100).quantize(Decimal("0.01")),
        )
        for row in queryset.values(field)
        .annotate(gifts=Count("pk"), fen=Sum("amount_fen"))
        .order_by("-fen", field)
    ]


def online_giving_report(*, days: int = 30, today: date | None = None) -> dict:
    """{"by_project", "by_source", "by_day"}: lists of Row for gifts paid in the last `days`."""
    today = today or timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))
    paid = OnlineOrder.objects.filter(state=OrderState.PAID, paid_at__gte=start)
    by_day = [
        Row(
            label=f"{row['day']:%Y-%m-%d}",
            gifts=row["gifts"],
            total=(Decimal(row["fen"] or 0) / 100).quantize(Decimal("0.01")),
        )
        for row in paid.annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(gifts=Count("pk"), fen=Sum("amount_fen"))
        .order_by("-day")
    ]
    return {
        "by_project": _rows(paid, "project__title"),
        "by_source": _rows(paid, "source", lambda value: value or "—"),
        "by_day": by_day,
        "days": days,
    }
