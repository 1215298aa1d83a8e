"""WeChat followers per day, from the audience app's daily counts."""

from datetime import date
from functools import cached_property

from django.apps import apps
from django.utils.translation import gettext as _

from .base import Section, Table


class Followers(Section):
    @cached_property
    def followers(self) -> dict[date, tuple[int, int, int]]:
        """{day: (followers, new, unfollowed)} from the audience app, when it is installed."""
        if not apps.is_installed("audience"):
            return {}
        model = apps.get_model("audience", "FollowerDailyCount")
        rows = model.objects.filter(day__gte=self.start, day__lte=self.end).values_list(
            "day", "total", "new", "unsubscribed"
        )
        return {day: (total, new, gone) for day, total, new, gone in rows}

    def followers_by_day(self) -> Table:
        table = Table(
            "followers-by-day",
            _("WeChat followers per day"),
            [_("Day"), _("Followers"), _("New followers"), _("Unfollowed")],
        )
        for day in self.days:
            total, new, gone = self.followers.get(day, (None, 0, 0))
            table.rows.append([day.isoformat(), total, new, gone])
        return table
