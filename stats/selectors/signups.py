"""Activity sign-ups per day."""

from datetime import date
from functools import cached_property

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from activities.models import Registration

from .base import Section, Table


class Signups(Section):
    @cached_property
    def signups(self) -> dict[date, int]:
        rows = (
            Registration.objects.filter(created_at__gte=self.since, created_at__lt=self.until)
            .annotate(day=TruncDate("created_at"))
            .values("day")
            .annotate(count=Count("pk"))
            .order_by()
        )
        return {row["day"]: row["count"] for row in rows}

    def signups_by_day(self) -> Table:
        table = Table("signups-by-day", _("Activity sign-ups per day"), [_("Day"), _("Sign-ups")])
        table.rows = [[day.isoformat(), self.signups.get(day, 0)] for day in self.days]
        return table
