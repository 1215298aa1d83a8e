"""Activity sign-ups per day."""

from datetime import date
from functools import cached_property

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, Registration
from activities.selectors import with_attendance

from .base import Link, Section, Table

# The attendance table stops at this many activities (the latest first).
ATTENDANCE_ROWS = 200


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

    def attendance(self) -> Table:
        """Activities that started in the range: registered, checked in, no-shows (once over),
        the share that came; one query for any number of activities."""
        table = Table(
            "attendance",
            _("Attendance at activities"),
            [
                _("Activity"),
                _("Starts"),
                _("Registered"),
                _("Checked in"),
                _("No-shows"),
                _("Came (%)"),
            ],
            text_columns=2,
        )
        activities = with_attendance(
            Activity.objects.filter(
                starts_at__gte=self.since, starts_at__lt=self.until, cancelled_at__isnull=True
            )
        ).order_by("-starts_at", "-pk")[:ATTENDANCE_ROWS]
        now = timezone.now()
        for activity in activities:
            registered, came = activity.att_registered, activity.att_checked_in
            over = (activity.ends_at or activity.starts_at) < now
            table.rows.append(
                [
                    Link(
                        activity.title,
                        reverse("admin:activities_activity_change", args=[activity.pk]),
                    ),
                    timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M"),
                    registered,
                    came,
                    registered - came if over else None,
                    round(100 * came / registered) if registered else None,
                ]
            )
        return table
