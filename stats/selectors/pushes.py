"""Pushes: how each item of the pushes sent in the range did, on WeChat and on the site."""

from functools import cached_property

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wechat.models import PushItem

from ..models import DailyViews, WeChatArticleStat
from .base import WECHAT_ROWS, Link, Section, Table, admin_link, deleted_item, wechat_sums


class Pushes(Section):
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
            .annotate(**wechat_sums())
            .order_by()
        )
        return {(r["push_id"], r["article_index"]): r for r in rows}

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
            title = row["title"] or deleted_item(row["object_id"])
            table.rows.append(
                [
                    row["push__sent_at"].astimezone(zone).date().isoformat(),
                    Link(push_name, reverse("admin:wechat_push_change", args=[push_id])),
                    position,
                    admin_link(key, row["object_id"], title),
                    reads.get("reads", 0),
                    reads.get("readers", 0),
                    reads.get("shares", 0),
                    reads.get("favourites", 0),
                    row["site_views"],
                ]
            )
        return table
