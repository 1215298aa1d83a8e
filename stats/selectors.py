"""The dashboard's figures, aggregated in the database for one date range.

`Dashboard(start=…, end=…)` runs a fixed number of queries whatever the range's length (each
query groups by day or by item in SQL); every figure on the page and in the CSV exports comes
from one of its `Table`s, so the page, the charts and the files always agree.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Max,
    Min,
    Model,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Registration
from articles.models import Article, Category, Department
from donations.models import Gift
from editorial.models import State
from wechat.models import PushItem

from .models import DailyViews, UserSource, WeChatArticleStat, WeChatReadSource

WECHAT_ROWS = 500


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere on the page; CSV gets its text."""

    text: str
    url: str

    def __str__(self):
        return self.text


@dataclass
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    text_columns: int = 1  # how many leading columns hold text rather than numbers


@dataclass(frozen=True)
class Module:
    model: type[Model]
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return self.model._meta.app_label, self.model._meta.model_name


def money(value) -> Decimal:
    """An amount in yuan to the fen (SQLite hands sums back unscaled)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def per_post(views: int, posts: int) -> Decimal | None:
    """Views per published post to one decimal, None without posts."""
    if not posts:
        return None
    return (Decimal(views) / posts).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Dashboard:
    """Every figure of the dashboard from `start` to `end` (both included, Asia/Shanghai)."""

    def __init__(self, *, start: date, end: date):
        self.start, self.end = start, end
        self.days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        zone = timezone.get_current_timezone()
        self.since = datetime.combine(start, time.min).replace(tzinfo=zone)
        self.until = datetime.combine(end + timedelta(days=1), time.min).replace(tzinfo=zone)

    # Queries ---------------------------------------------------------------------------------

    @cached_property
    def modules(self) -> list[Module]:
        models = dict.fromkeys(
            apps.get_model(label) for label in settings.STATS_COUNTED_VIEWS.values()
        )
        return [Module(model, str(model._meta.verbose_name_plural)) for model in models]

    def _views(self, start: date | None = None):
        return DailyViews.objects.filter(day__gte=start or self.start, day__lte=self.end)

    @cached_property
    def module_days(self) -> dict[tuple[str, str], dict[date, tuple[int, int]]]:
        """{module key: {day: (views, visitors)}}."""
        rows = (
            self._views()
            .values("day", "content_type__app_label", "content_type__model")
            .annotate(views=Sum("views"), visitors=Sum("visitors"))
            .order_by()
        )
        result: dict = {}
        for row in rows:
            key = (row["content_type__app_label"], row["content_type__model"])
            result.setdefault(key, {})[row["day"]] = (row["views"], row["visitors"])
        return result

    @cached_property
    def module_posts(self) -> dict[tuple[str, str], int]:
        """Published posts of each module by the end of the range (one count each)."""
        return {
            module.key: module.model.objects.filter(
                state=State.PUBLISHED, published_at__lt=self.until
            ).count()
            for module in self.modules
        }

    def _article_days(self, dimension: str) -> dict[tuple[date, int | None], tuple[int, int]]:
        value = Subquery(Article.objects.filter(pk=OuterRef("object_id")).values(dimension)[:1])
        rows = (
            self._views()
            .filter(content_type__app_label="articles", content_type__model="article")
            .annotate(dimension=value)
            .values("day", "dimension")
            .annotate(views=Sum("views"), visitors=Sum("visitors"))
            .order_by()
        )
        return {(r["day"], r["dimension"]): (r["views"], r["visitors"]) for r in rows}

    def _article_posts(self, dimension: str) -> dict[int | None, int]:
        rows = (
            Article.objects.filter(state=State.PUBLISHED, published_at__lt=self.until)
            .values(dimension)
            .annotate(posts=Count("pk"))
            .order_by()
        )
        return {row[dimension]: row["posts"] for row in rows}

    @cached_property
    def category_days(self):
        return self._article_days("category_id")

    @cached_property
    def department_days(self):
        return self._article_days("department_id")

    @cached_property
    def category_posts(self):
        return self._article_posts("category_id")

    @cached_property
    def department_posts(self):
        return self._article_posts("department_id")

    @cached_property
    def category_names(self) -> dict[int | None, str]:
        return {None: _("Uncategorised"), **dict(Category.objects.values_list("pk", "name"))}

    @cached_property
    def department_names(self) -> dict[int | None, str]:
        return {
            None: _("No source department"),
            **dict(Department.objects.values_list("pk", "name")),
        }

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
                for module in self.modules
            ],
            default=Value(""),
            output_field=CharField(),
        )
        return list(
            self._views(start=self.end - timedelta(days=days - 1))
            .values("content_type__app_label", "content_type__model", "object_id")
            .annotate(views=Sum("views"), visitors=Sum("visitors"), title=title)
            .order_by("-views", "-visitors", "object_id")[:10]
        )

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

    @cached_property
    def pushed_items(self) -> list[dict]:
        """Items of the pushes sent in the range, with their page views in the range."""
        views = Subquery(
            DailyViews.objects.filter(
                content_type_id=OuterRef("content_type_id"),
                object_id=OuterRef("object_id"),
                day__gte=self.start,
                day__lte=self.end,
            )
            .order_by()
            .values("content_type_id")
            .annotate(total=Sum("views"))
            .values("total")[:1]
        )
        return list(
            PushItem.objects.filter(push__sent_at__gte=self.since, push__sent_at__lt=self.until)
            .values(
                "push_id",
                "push__title",
                "push__sent_at",
                "position",
                "title",
                "content_type__app_label",
                "content_type__model",
                "object_id",
            )
            .annotate(site_views=Coalesce(views, 0))
            .order_by("-push__sent_at", "-push_id", "position")[:WECHAT_ROWS]
        )

    @cached_property
    def pushed_reads(self) -> dict[tuple[int, int], dict]:
        """{(push id, position): WeChat sums} of the pushes sent in the range, up to its end."""
        rows = (
            WeChatArticleStat.objects.filter(
                push__sent_at__gte=self.since, push__sent_at__lt=self.until, day__lte=self.end
            )
            .values("push_id", "article_index")
            .annotate(
                reads=Sum("int_page_read_count"),
                readers=Sum("int_page_read_user"),
                shares=Sum("share_count"),
                favourites=Sum("add_to_fav_count"),
            )
            .order_by()
        )
        return {(r["push_id"], r["article_index"]): r for r in rows}

    @cached_property
    def source_days(self) -> dict[tuple[date, int], int]:
        """{(day, source): WeChat reads}."""
        rows = (
            WeChatReadSource.objects.filter(day__gte=self.start, day__lte=self.end)
            .exclude(user_source=UserSource.ALL)
            .values_list("day", "user_source", "int_page_read_count")
        )
        return {(day, source): reads for day, source, reads in rows}

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

    # Tables ----------------------------------------------------------------------------------

    def _module_name(self, key: tuple[str, str]) -> str:
        return next((m.name for m in self.modules if m.key == key), ".".join(key))

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
        for module in self.modules:
            days = self.module_days.get(module.key, {}).values()
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
            self.category_days,
            self.category_posts,
            self.category_names,
        )

    def departments_ranked(self) -> Table:
        return self._dimension_ranked(
            "departments-ranked",
            _("Source departments by views per post"),
            _("Source department"),
            self.department_days,
            self.department_posts,
            self.department_names,
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
            title_text = row["title"] or _("(deleted item %(id)s)") % {"id": row["object_id"]}
            try:
                url = reverse(f"admin:{key[0]}_{key[1]}_change", args=[row["object_id"]])
                cell = Link(title_text, url) if row["title"] else title_text
            except NoReverseMatch:
                cell = title_text
            table.rows.append([rank, cell, self._module_name(key), row["views"], row["visitors"]])
        return table

    def top_7_days(self) -> Table:
        return self._top_table(
            "top-7-days", _("Most read in the 7 days to %(end)s") % {"end": self.end}, 7
        )

    def top_30_days(self) -> Table:
        return self._top_table(
            "top-30-days", _("Most read in the 30 days to %(end)s") % {"end": self.end}, 30
        )

    def signups_by_day(self) -> Table:
        table = Table("signups-by-day", _("Activity sign-ups per day"), [_("Day"), _("Sign-ups")])
        table.rows = [[day.isoformat(), self.signups.get(day, 0)] for day in self.days]
        return table

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
            .annotate(
                first_day=Min("day"),
                title=Max("title"),
                reads=Sum("int_page_read_count"),
                readers=Sum("int_page_read_user"),
                shares=Sum("share_count"),
                favourites=Sum("add_to_fav_count"),
            )
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
            WeChatReadSource.objects.filter(day__gte=self.start, day__lte=self.end)
            .exclude(user_source=UserSource.ALL)
            .values("user_source")
            .annotate(
                reads=Sum("int_page_read_count"),
                readers=Sum("int_page_read_user"),
                shares=Sum("share_count"),
                favourites=Sum("add_to_fav_count"),
            )
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

    def pushes(self) -> Table:
        table = Table(
            "pushes",
            _("How each push's items did"),
            [
                _("Sent"),
                _("Push"),
                _("Article no."),
                _("Title"),
                _("WeChat reads"),
                _("WeChat readers"),
                _("Shares"),
                _("Favourites"),
                _("Site page views"),
            ],
            text_columns=4,
        )
        zone = timezone.get_current_timezone()
        for row in self.pushed_items:
            push_id, position = row["push_id"], row["position"]
            reads = self.pushed_reads.get((push_id, position), {})
            push_name = row["push__title"] or _("Push #%(id)s") % {"id": push_id}
            key = (row["content_type__app_label"], row["content_type__model"])
            title = row["title"] or _("(deleted item %(id)s)") % {"id": row["object_id"]}
            try:
                item = Link(
                    title, reverse(f"admin:{key[0]}_{key[1]}_change", args=[row["object_id"]])
                )
            except NoReverseMatch:
                item = title
            table.rows.append(
                [
                    row["push__sent_at"].astimezone(zone).date().isoformat(),
                    Link(push_name, reverse("admin:wechat_push_change", args=[push_id])),
                    position,
                    item,
                    reads.get("reads", 0),
                    reads.get("readers", 0),
                    reads.get("shares", 0),
                    reads.get("favourites", 0),
                    row["site_views"],
                ]
            )
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


# Every exportable table, by the slug in its export URL.
TABLES = {
    "views-by-day": Dashboard.views_by_day,
    "category-views-by-day": Dashboard.category_views_by_day,
    "department-views-by-day": Dashboard.department_views_by_day,
    "modules-ranked": Dashboard.modules_ranked,
    "categories-ranked": Dashboard.categories_ranked,
    "departments-ranked": Dashboard.departments_ranked,
    "top-7-days": Dashboard.top_7_days,
    "top-30-days": Dashboard.top_30_days,
    "signups-by-day": Dashboard.signups_by_day,
    "donations-by-day": Dashboard.donations_by_day,
    "donations-by-project": Dashboard.donations_by_project,
    "pushes": Dashboard.pushes,
    "wechat-by-push": Dashboard.wechat_by_push,
    "wechat-source-by-day": Dashboard.wechat_source_by_day,
    "wechat-by-source": Dashboard.wechat_by_source,
    "followers-by-day": Dashboard.followers_by_day,
}
