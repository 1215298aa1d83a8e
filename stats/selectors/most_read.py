"""Most read: the ten items with the most page views in the last 7 and 30 days of the range."""

from datetime import timedelta

from django.db.models import Case, CharField, OuterRef, Subquery, Sum, Value, When
from django.utils.translation import gettext as _

from .base import Section, Table, admin_link, deleted_item
from .reading import PageViews


class MostRead(Section):
    def __init__(self, *, views: PageViews):
        super().__init__(start=views.start, end=views.end)
        self.views = views

    def _top_items(self, days: int) -> list[dict]:
        title = Case(
            *[
                When(
                    content_type__app_label=module.key[0],
                    content_type__model=module.key[1],
                    then=Subquery(
                        module.model.objects.filter(pk=OuterRef("object_id")).values("title")[:1]
                    ),
                )
                for module in self.views.modules
            ],
            default=Value(""),
            output_field=CharField(),
        )
        return list(
            self.views.daily(start=self.end - timedelta(days=days - 1))
            .values("content_type__app_label", "content_type__model", "object_id")
            .annotate(views=Sum("views"), visitors=Sum("visitors"), title=title)
            .order_by("-views", "-visitors", "object_id")[:10]
        )

    def _top_table(self, slug: str, title: str, days: int) -> Table:
        table = Table(
            slug,
            title,
            [_("Rank"), _("Title"), _("Module"), _("Views"), _("Visitors")],
            text_columns=3,
        )
        for rank, row in enumerate(self._top_items(days), 1):
            key = (row["content_type__app_label"], row["content_type__model"])
            # A deleted item's row names its id and links nowhere.
            if row["title"]:
                cell = admin_link(key, row["object_id"], row["title"])
            else:
                cell = deleted_item(row["object_id"])
            table.rows.append(
                [rank, cell, self.views.module_name(key), row["views"], row["visitors"]]
            )
        return table

    def top_7_days(self) -> Table:
        return self._top_table(
            "top-7-days", _("Most read in the 7 days to %(end)s") % {"end": self.end}, 7
        )

    def top_30_days(self) -> Table:
        return self._top_table(
            "top-30-days", _("Most read in the 30 days to %(end)s") % {"end": self.end}, 30
        )
