"""Reading statistics: daily page-view counters and the WeChat read statistics (datacube).

Nothing here identifies a reader. A page view becomes a count in `DailyViews` (through Redis or
at once); the daily salted hash that told repeat visitors apart lives only in the cache and
expires with the day (see `stats.counters`).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DailyViews(models.Model):
    """Public page views of one item on one day (Asia/Shanghai), as counted by stats.counters."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(_("item id"))
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("views"), default=0)
    visitors = models.PositiveIntegerField(
        _("visitors"), default=0, help_text=_("Distinct visitors of the item that day.")
    )

    class Meta:
        verbose_name = _("daily page views")
        verbose_name_plural = _("daily page views")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "day"], name="stats_dailyviews_unique_day"
            )
        ]
        indexes = [models.Index(fields=["day", "content_type"], name="stats_dailyviews_day")]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} {self.day} {self.views}"


class FlushBatch(models.Model):
    """A Redis batch already written to `DailyViews`, so a retried flush never counts it twice."""

    token = models.CharField(max_length=32, unique=True)
    flushed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("flushed batch")
        verbose_name_plural = _("flushed batches")

    def __str__(self):
        return self.token


class UserSource(models.IntegerChoices):
    """Where WeChat readers came from (datacube `user_source`)."""

    ALL = 99999999, _("All sources")
    CHAT = 0, _("Chats")
    FRIENDS = 1, _("Friends")
    MOMENTS = 2, _("Moments")
    WEIBO = 3, _("Tencent Weibo")
    HISTORY = 4, _("Account history page")
    OTHER = 5, _("Other")
    TOP_STORIES = 6, _("Top Stories")
    SEARCH = 7, _("WeChat Search")


class WeChatCounters(models.Model):
    """The read, share and favourite counters every datacube report carries."""

    int_page_read_user = models.PositiveIntegerField(_("readers"), default=0)
    int_page_read_count = models.PositiveIntegerField(_("reads"), default=0)
    ori_page_read_user = models.PositiveIntegerField(_("original page readers"), default=0)
    ori_page_read_count = models.PositiveIntegerField(_("original page reads"), default=0)
    share_user = models.PositiveIntegerField(_("sharers"), default=0)
    share_count = models.PositiveIntegerField(_("shares"), default=0)
    add_to_fav_user = models.PositiveIntegerField(_("users who favourited"), default=0)
    add_to_fav_count = models.PositiveIntegerField(_("favourites"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    COUNTERS = (
        "int_page_read_user",
        "int_page_read_count",
        "ori_page_read_user",
        "ori_page_read_count",
        "share_user",
        "share_count",
        "add_to_fav_user",
        "add_to_fav_count",
    )

    class Meta:
        abstract = True


class WeChatArticleStat(WeChatCounters):
    """One pushed article's numbers on one day (getarticlesummary).

    A push is known to WeChat by its `msg_data_id`; `article_index` is the article's place in
    it, from 1. The numbers are that day's, not cumulative: storing a day again replaces them.
    """

    msg_data_id = models.CharField(_("push id (msg_data_id)"), max_length=64)
    article_index = models.PositiveSmallIntegerField(_("article index"), default=1)
    day = models.DateField(_("day"))
    title = models.CharField(_("title"), max_length=128, blank=True)
    # Our push and the item at `article_index` in it, when the msg_data_id is one of ours;
    # filled when the row is stored (a re-sync links rows stored before the push was known).
    push = models.ForeignKey(
        "wechat.Push",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("push"),
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("content type"),
    )
    object_id = models.PositiveBigIntegerField(_("item id"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat article statistics")
        verbose_name_plural = _("WeChat article statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["msg_data_id", "article_index", "day"], name="stats_wechat_article_day"
            )
        ]
        indexes = [models.Index(fields=["day"], name="stats_wechat_article_d")]

    def __str__(self):
        return f"{self.msg_data_id}_{self.article_index} {self.day}"


class WeChatSyncedDay(models.Model):
    """A day whose datacube statistics were fetched and stored, so the catch-up skips it."""

    day = models.DateField(_("day"), unique=True)
    rows = models.PositiveIntegerField(_("rows stored"), default=0)
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)

    class Meta:
        verbose_name = _("WeChat statistics day")
        verbose_name_plural = _("WeChat statistics days")

    def __str__(self):
        return self.day.isoformat()


class WeChatReadSource(WeChatCounters):
    """The account's reading on one day from one source (getuserread)."""

    day = models.DateField(_("day"))
    user_source = models.IntegerField(_("source"), choices=UserSource.choices)

    class Meta:
        verbose_name = _("WeChat reads by source")
        verbose_name_plural = _("WeChat reads by source")
        constraints = [
            models.UniqueConstraint(fields=["day", "user_source"], name="stats_wechat_source_day")
        ]

    def __str__(self):
        return f"{self.day} {self.user_source}"


class ReadingStatistics(DailyViews):
    """The dashboard's entry in the admin index (its list page is the dashboard)."""

    class Meta:
        proxy = True
        verbose_name = _("reading statistics")
        verbose_name_plural = _("reading statistics")
