"""What alumni like: modules, news categories and source departments by views per post."""

from functools import cached_property

from django.db.models import Count
from django.utils.translation import gettext as _

from articles.models import Article
from editorial.models import State

from .base import Section, Table, per_post
from .reading import PageViews


class Rankings(Section):
    """Views (from `views`, the page views section) against what was published."""

    def __init__(self, *, views: PageViews):
        super().__init__(start=views.start, end=views.end)
        self.views = views

    @cached_property
    def module_posts(self) -> dict[tuple[str, str], int]:
        """Published posts of each module by the end of the range (one count each)."""
        return {
            module.key: module.model.objects.filter(
                state=State.PUBLISHED, published_at__lt=self.until
            ).count()
            for module in self.views.modules
        }

    def _article_posts(self, dimension: str) -> dict[int | None, int]:
        rows = (
            Article.objects.filter(state=State.PUBLISHED, published_at__lt=self.until)
            .values(dimension)
            .annotate(posts=Count("pk"))
            .order_by()
        )
        return {row[dimension]: row["posts"] for row in rows}

    @cached_property
    def category_posts(self):
        return self._article_posts("category_id")

    @cached_property
    def department_posts(self):
        return self._article_posts("department_id")

    def _ranked(self, slug, title, first_column, entries) -> Table:
        """entries: (name, views, visitors, posts); ranked by views per post, then views."""
        table = Table(
            slug,
            title,
            [first_column, _("Views"), _("Visitors"), _("Published posts"), _("Views per post")],
        )
        rows = [[name, v, u, p, per_post(v, p)] for name, v, u, p in entries]
        rows.sort(key=lambda r: (r[4] is None, -(r[4] or 0), -r[1], r[0]))
        table.rows = rows
        return table

    def modules_ranked(self) -> Table:
        entries = []
        for module in self.views.modules:
            days = self.views.module_days.get(module.key, {}).values()
            entries.append(
                (
                    module.name,
                    sum(v for v, _u in days),
                    sum(u for _v, u in days),
                    self.module_posts.get(module.key, 0),
                )
            )
        return self._ranked("modules-ranked", _("Modules by views per post"), _("Module"), entries)

    def _dimension_ranked(self, slug, title, first_column, days, posts, names) -> Table:
        views: dict = {}
        for (_day, key), (v, u) in days.items():
            total = views.setdefault(key, [0, 0])
            total[0] += v
            total[1] += u
        keys = set(views) | set(posts)
        entries = [
            (names.get(k, str(k)), *views.get(k, (0, 0)), posts.get(k, 0))
            for k in keys
            if k in names or k is None
        ]
        return self._ranked(slug, title, first_column, entries)

    def categories_ranked(self) -> Table:
        return self._dimension_ranked(
            "categories-ranked",
            _("News categories by views per post"),
            _("Category"),
            self.views.category_days,
            self.category_posts,
            self.views.category_names,
        )

    def departments_ranked(self) -> Table:
        return self._dimension_ranked(
            "departments-ranked",
            _("Source departments by views per post"),
            _("Source department"),
            self.views.department_days,
            self.department_posts,
            self.views.department_names,
        )
