"""Donations per day and per project."""

from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from donations.models import Gift

from .base import Section, Table, money


class Donations(Section):
    def _gifts(self):
        return Gift.objects.filter(donated_on__gte=self.start, donated_on__lte=self.end)

    @cached_property
    def donations(self) -> dict[date, tuple[int, Decimal]]:
        rows = (
            self._gifts()
            .values("donated_on")
            .annotate(gifts=Count("pk"), amount=Sum("amount"))
            .order_by()
        )
        return {row["donated_on"]: (row["gifts"], money(row["amount"])) for row in rows}

    def donations_by_day(self) -> Table:
        table = Table(
            "donations-by-day",
            _("Donations per day"),
            [_("Day"), _("Gifts"), _("Amount (yuan)")],
        )
        for day in self.days:
            gifts, amount = self.donations.get(day, (0, Decimal("0.00")))
            table.rows.append([day.isoformat(), gifts, amount])
        return table

    def donations_by_project(self) -> Table:
        table = Table(
            "donations-by-project",
            _("Donations per project"),
            [_("Project"), _("Gifts"), _("Amount (yuan)")],
        )
        rows = (
            self._gifts()
            .values("project_id", "project__title")
            .annotate(gifts=Count("pk"), amount=Sum("amount"))
            .order_by("-amount", "project_id")
        )
        table.rows = [[r["project__title"], r["gifts"], money(r["amount"])] for r in rows]
        return table
