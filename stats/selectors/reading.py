"""Page views: per day by module, news category and source department."""

from datetime import date
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.db.models import OuterRef, Subquery, Sum
from django.utils.translation import gettext as _

from articles.models import Article, Category, Department

from ..models import DailyViews
from .base import Module, Section, Table


class PageViews(Section):
    """The site's page views, which the rankings and the most-read lists read too."""

    @cached_property
    def modules(self) -> list[Module]:
        models = dict.fromkeys(
            apps.get_model(label) for label in settings.STATS_COUNTED_VIEWS.values()
        )
        return [Module(model, str(model._meta.verbose_name_plural)) for model in models]

    def module_name(self, key: tuple[str, str]) -> str:
        return next((m.name for m in self.modules if m.key == key), ".".join(key))

    def daily(self, start: date | None = None):
        """The day counters from `start` (the range's by default) to the range's end."""
        return DailyViews.objects.filter(day__gte=start or self.start, day__lte=self.end)

    @cached_property
    def module_days(self) -> dict[tuple[str, str], dict[date, tuple[int, int]]]:
        """{module key: {day: (views, visitors)}}."""
        rows = (
            self.daily()
            .values("day", "content_type__app_label", "content_type__model")
            .annotate(views=Sum("views"), visitors=Sum("visitors"))
            .order_by()
        )
        result: dict = {}
        for row in rows:
            key = (row["content_type__app_label"], row["content_type__model"])
            result.setdefault(key, {})[row["day"]] = (row["views"], row["visitors"])
        return result

    def _article_days(self, dimension: str) -> dict[tuple[date, int | None], tuple[int, int]]:
        value = Subquery(Article.objects.filter(pk=OuterRef("object_id")).values(dimension)[:1])
        rows = (
            self.daily()
            .filter(content_type__app_label="articles", content_type__model="article")
            .annotate(dimension=value)
            .values("day", "dimension")
            .annotate(views=Sum("views"), visitors=Sum("visitors"))
            .order_by()
        )
        return {(r["day"], r["dimension"]): (r["views"], r["visitors"]) for r in rows}

    @cached_property
    def category_days(self):
        return self._article_days("category_id")

    @cached_property
    def department_days(self):
        return self._article_days("department_id")

    @cached_property
    def category_names(self) -> dict[int | None, str]:
        return {None: _("Uncategorised"), **dict(Category.objects.values_list("pk", "name"))}

    @cached_property
    def department_names(self) -> dict[int | None, str]:
        return {
            None: _("No source department"),
            **dict(Department.objects.values_list("pk", "name")),
        }

    def views_by_day(self) -> Table:
        table = Table(
            "views-by-day",
            _("Page views per day by module"),
            [_("Day"), *[m.name for m in self.modules], _("Total")],
        )
        for day in self.days:
            counts = [self.module_days.get(m.key, {}).get(day, (0, 0))[0] for m in self.modules]
            table.rows.append([day.isoformat(), *counts, sum(counts)])
        return table

    def _dimension_by_day(self, slug, title, days, names) -> Table:
        totals: dict = {}
        for (_day, key), (views, _visitors) in days.items():
            totals[key] = totals.get(key, 0) + views
        keys = sorted(totals, key=lambda k: (-totals[k], names.get(k, "")))
        table = Table(slug, title, [_("Day"), *[names.get(k, str(k)) for k in keys]])
        for day in self.days:
            table.rows.append([day.isoformat(), *[days.get((day, k), (0, 0))[0] for k in keys]])
        return table

    def category_views_by_day(self) -> Table:
        return self._dimension_by_day(
            "category-views-by-day",
            _("News page views per day by category"),
            self.category_days,
            self.category_names,
        )

    def department_views_by_day(self) -> Table:
        return self._dimension_by_day(
            "department-views-by-day",
            _("News page views per day by source department"),
            self.department_days,
            self.department_names,
        )
