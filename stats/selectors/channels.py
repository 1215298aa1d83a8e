"""Followers gained per WeChat channel QR code (wechat.channels) per day, and each channel's
scans in the range: one grouped query whatever the range or the number of channels."""

from collections import defaultdict
from datetime import date
from functools import cached_property

from django.apps import apps
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from .base import Section, Table


class Channels(Section):
    @cached_property
    def scans(self) -> list[dict]:
        """[{channel, name, day, scans, followers}] for the range, when the app is installed."""
        if not apps.is_installed("wechat.channels"):
            return []
        model = apps.get_model("wechat_channels", "ChannelScan")
        return list(
            model.objects.filter(scanned_at__gte=self.since, scanned_at__lt=self.until)
            .annotate(day=TruncDate("scanned_at"))
            .values("channel", "channel__name", "day")
            .annotate(scans=Count("pk"), followers=Count("pk", filter=Q(new_follower=True)))
            .order_by()
        )

    @cached_property
    def ranked(self) -> list[tuple[int, str, int, int]]:
        """(channel id, name, scans, new followers) of every channel scanned in the range, most
        followers first."""
        totals: dict[int, list] = {}
        for row in self.scans:
            entry = totals.setdefault(row["channel"], [row["channel__name"], 0, 0])
            entry[1] += row["scans"]
            entry[2] += row["followers"]
        ranked = [(pk, name, scans, new) for pk, (name, scans, new) in totals.items()]
        return sorted(ranked, key=lambda r: (-r[3], -r[2], r[1], r[0]))

    def channel_followers_by_day(self) -> Table:
        """A column per channel (most followers first), a row per day: new followers."""
        per_day: dict[tuple[int, date], int] = defaultdict(int)
        for row in self.scans:
            per_day[(row["channel"], row["day"])] += row["followers"]
        table = Table(
            "channel-followers-by-day",
            _("New followers per day by channel QR code"),
            [_("Day"), *[name for _pk, name, _s, _n in self.ranked]],
        )
        table.rows = [
            [day.isoformat(), *[per_day.get((pk, day), 0) for pk, *_rest in self.ranked]]
            for day in self.days
        ]
        return table

    def channels_ranked(self) -> Table:
        table = Table(
            "channels-ranked",
            _("Channel QR codes"),
            [_("Channel"), _("Scans"), _("New followers")],
        )
        table.rows = [[name, scans, new] for _pk, name, scans, new in self.ranked]
        return table
