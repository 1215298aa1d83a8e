"""Campus news (校园动态), from the office, departments and branch liaisons."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.text import SingleLineTextMixin
from editorial.fields import PhotoField
from editorial.models import AUTHOR_MAX_LENGTH, EditorialItem


class Category(SingleLineTextMixin, models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Department(SingleLineTextMixin, models.Model):
    """A source of news: the publicity department, the Youth League committee, a college…"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("source department")
        verbose_name_plural = _("source departments")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Article(EditorialItem):
    author = models.CharField(_("author"), max_length=AUTHOR_MAX_LENGTH, blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("source department"),
    )
    source_url = models.URLField(_("original source URL"), blank=True)
    branch = models.ForeignKey(
        "alumni.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("branch"),
        help_text=_("Set for news submitted by a branch's liaison."),
    )
    event_date = models.DateField(_("event date"), null=True, blank=True)

    revision_fields = EditorialItem.revision_fields + (
        "author",
        "category",
        "department",
        "source_url",
        "event_date",
    )
    revision_related = {"photos": ("image", "caption", "position")}
    public_url_name = "articles:detail"
    search_text_fields = EditorialItem.search_text_fields + ("author",)

    class Meta:
        verbose_name = _("news article")
        verbose_name_plural = _("news articles")
        ordering = ["-published_at", "-pk"]
        indexes = [
            # The public news list and "more news" read published rows newest first: with
            # these they read the first rows of an index instead of sorting every match.
            models.Index(fields=["state", "-published_at", "-id"], name="article_public_order"),
            models.Index(
                fields=["category", "state", "-published_at", "-id"],
                name="article_category_order",
            ),
        ]


class ArticlePhoto(SingleLineTextMixin, models.Model):
    """A photo attached to an article, e.g. by a liaison from their phone."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="photos", verbose_name=_("article")
    )
    image = PhotoField(_("image"), upload_to="photos/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.caption or self.image.name
