"""What every section of the dashboard shares: the date range, the tables and their cells."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Model, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

# The longest WeChat tables (pushes, reads per pushed article) stop at this many rows.
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


class Section:
    """The figures of one part of the dashboard from `start` to `end` (both included, in the
    site's time zone). Each query is a cached property, so every table of the section that
    needs it shares one run."""

    def __init__(self, *, start: date, end: date):
        self.start, self.end = start, end
        self.days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        zone = timezone.get_current_timezone()
        self.since = datetime.combine(start, time.min).replace(tzinfo=zone)
        self.until = datetime.combine(end + timedelta(days=1), time.min).replace(tzinfo=zone)


def wechat_sums() -> dict:
    """The sums of WeChat's read figures that the WeChat tables show, as `annotate()` takes."""
    return {
        "reads": Sum("int_page_read_count"),
        "readers": Sum("int_page_read_user"),
        "shares": Sum("share_count"),
        "favourites": Sum("add_to_fav_count"),
    }


def money(value) -> Decimal:
    """An amount in yuan to the fen (SQLite hands sums back unscaled)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def per_post(views: int, posts: int) -> Decimal | None:
    """Views per published post to one decimal, None without posts."""
    if not posts:
        return None
    return (Decimal(views) / posts).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def deleted_item(object_id) -> str:
    return _("(deleted item %(id)s)") % {"id": object_id}


def admin_link(key: tuple[str, str], object_id, text: str) -> Link | str:
    """A link to the item's admin change page, or `text` alone when the admin has none."""
    try:
        return Link(text, reverse(f"admin:{key[0]}_{key[1]}_change", args=[object_id]))
    except NoReverseMatch:
        return text
