"""WeChat reads: per pushed article, per source and per day by source (WeChat's datacube)."""

from datetime import date
from functools import cached_property

from django.db.models import Max, Min
from django.utils.translation import gettext as _

from ..models import UserSource, WeChatArticleStat, WeChatReadSource
from .base import WECHAT_ROWS, Section, Table, wechat_sums


class WeChatReads(Section):
    def _read_sources(self):
        """Reads per source and day in the range, without WeChat's all-sources total."""
        return WeChatReadSource.objects.filter(day__gte=self.start, day__lte=self.end).exclude(
            user_source=UserSource.ALL
        )

    @cached_property
    def source_days(self) -> dict[tuple[date, int], int]:
        """{(day, source): WeChat reads}."""
        rows = self._read_sources().values_list("day", "user_source", "int_page_read_count")
        return {(day, source): reads for day, source, reads in rows}

    def wechat_by_push(self) -> Table:
        table = Table(
            "wechat-by-push",
            _("WeChat reads of each pushed article"),
            [
                _("First day"),
                _("Push"),
                _("Article no."),
                _("Title"),
                _("Reads"),
                _("Readers"),
                _("Shares"),
                _("Favourites"),
            ],
            text_columns=4,
        )
        rows = (
            WeChatArticleStat.objects.filter(day__gte=self.start, day__lte=self.end)
            .values("msg_data_id", "article_index")
            .annotate(first_day=Min("day"), title=Max("title"), **wechat_sums())
            .order_by("-first_day", "msg_data_id", "article_index")[:WECHAT_ROWS]
        )
        table.rows = [
            [
                r["first_day"].isoformat(),
                r["msg_data_id"],
                r["article_index"],
                r["title"],
                r["reads"],
                r["readers"],
                r["shares"],
                r["favourites"],
            ]
            for r in rows
        ]
        return table

    def wechat_by_source(self) -> Table:
        table = Table(
            "wechat-by-source",
            _("WeChat reads by where readers came from"),
            [_("Source"), _("Reads"), _("Readers"), _("Shares"), _("Favourites")],
        )
        rows = (
            self._read_sources()
            .values("user_source")
            .annotate(**wechat_sums())
            .order_by("-reads", "user_source")
        )
        table.rows = [
            [
                str(UserSource(r["user_source"]).label),
                r["reads"],
                r["readers"],
                r["shares"],
                r["favourites"],
            ]
            for r in rows
        ]
        return table

    def wechat_source_by_day(self) -> Table:
        sources = sorted({source for _day, source in self.source_days})
        table = Table(
            "wechat-source-by-day",
            _("WeChat reads per day by source"),
            [_("Day"), *[str(UserSource(s).label) for s in sources]],
        )
        for day in self.days:
            table.rows.append(
                [day.isoformat(), *[self.source_days.get((day, s), 0) for s in sources]]
            )
        return table
