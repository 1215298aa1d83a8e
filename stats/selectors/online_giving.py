"""Online gifts (payments: WeChat Pay orders recorded as gifts) per project, per channel that
led to them (the give link's ?src=: "push:<id>" names a WeChat push, "channel:<scene>" or
"qr:<scene>" a channel QR code) and per day. One grouped query for the orders, and at most one
for push titles and one for channel names, whatever the range or the number of gifts."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.apps import apps
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from .base import Section, Table

PUSH_PREFIX = "push:"
CHANNEL_PREFIXES = ("channel:", "qr:")


def _yuan(fen) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(Decimal("0.01"))


class OnlineGiving(Section):
    @cached_property
    def rows(self) -> list[dict]:
        """[{project_id, project__title, source, day, gifts, fen}] of the paid orders."""
        if not apps.is_installed("payments"):
            return []
        model = apps.get_model("payments", "OnlineOrder")
        return list(
            model.objects.filter(state="paid", paid_at__gte=self.since, paid_at__lt=self.until)
            .annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
            .values("project_id", "project__title", "source", "day")
            .annotate(gifts=Count("pk"), fen=Sum("amount_fen"))
            .order_by()
        )

    @cached_property
    def source_names(self) -> dict[str, str]:
        """The name of every push or channel QR code a gift's source names."""
        sources = {row["source"] for row in self.rows if row["source"]}
        names: dict[str, str] = {}
        push_ids = {
            int(s[len(PUSH_PREFIX) :])
            for s in sources
            if s.startswith(PUSH_PREFIX) and s[len(PUSH_PREFIX) :].isdigit()
        }
        if push_ids:
            pushes = apps.get_model("wechat", "Push").objects.filter(pk__in=push_ids).only("title")
            for push in pushes:
                names[f"{PUSH_PREFIX}{push.pk}"] = _("Push: %(name)s") % {"name": str(push)}
        scenes = {s.split(":", 1)[1]: s for s in sources if s.startswith(CHANNEL_PREFIXES)}
        if scenes and apps.is_installed("wechat.channels"):
            model = apps.get_model("wechat_channels", "Channel")
            for scene, name in model.objects.filter(scene__in=scenes).values_list("scene", "name"):
                for source in sources:
                    if source.startswith(CHANNEL_PREFIXES) and source.split(":", 1)[1] == scene:
                        names[source] = _("QR code: %(name)s") % {"name": name}
        return names

    def _source_label(self, source: str) -> str:
        if not source:
            return _("Direct")
        return self.source_names.get(source, source)

    @staticmethod
    def _ranked(totals: dict) -> list[list]:
        ranked = sorted(totals.items(), key=lambda item: (-item[1][1], str(item[0])))
        return [[label, gifts, _yuan(fen)] for label, (gifts, fen) in ranked]

    def online_by_project(self) -> Table:
        table = Table(
            "online-by-project",
            _("Online gifts per project"),
            [_("Project"), _("Gifts"), _("Amount (yuan)")],
        )
        totals: dict = defaultdict(lambda: [0, 0])
        for row in self.rows:
            entry = totals[(row["project__title"], row["project_id"])]
            entry[0] += row["gifts"]
            entry[1] += row["fen"] or 0
        table.rows = [[key[0], gifts, amount] for key, gifts, amount in self._ranked(totals)]
        return table

    def online_by_channel(self) -> Table:
        table = Table(
            "online-by-channel",
            _("Online gifts per channel"),
            [_("Channel"), _("Gifts"), _("Amount (yuan)")],
        )
        totals: dict = defaultdict(lambda: [0, 0])
        for row in self.rows:
            entry = totals[self._source_label(row["source"])]
            entry[0] += row["gifts"]
            entry[1] += row["fen"] or 0
        table.rows = self._ranked(totals)
        return table

    def online_by_day(self) -> Table:
        table = Table(
            "online-by-day",
            _("Online gifts per day"),
            [_("Day"), _("Gifts"), _("Amount (yuan)")],
        )
        per_day: dict[date, list] = defaultdict(lambda: [0, 0])
        for row in self.rows:
            entry = per_day[row["day"]]
            entry[0] += row["gifts"]
            entry[1] += row["fen"] or 0
        table.rows = [
            [day.isoformat(), per_day[day][0], _yuan(per_day[day][1])] for day in self.days
        ]
        return table
