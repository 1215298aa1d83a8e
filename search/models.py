"""The search index: one row per public item, kept by `search.services`."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    """The searchable text of one published item.

    `title_tokens` and `body_tokens` hold `search.text.index_tokens` of the item's title and
    text. The full-text index over them is the database's own, made by the migrations (0001,
    0002): an FTS5 table kept by triggers on SQLite, generated `document` and `title_document`
    tsvector columns with a GIN index on PostgreSQL. None of it is a model field, so a later
    migration that alters this table on SQLite (which copies the table) must create the
    triggers again. `title` and `text` are kept as shown, for the results' titles and snippets.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)  # digest and rich text, for snippets
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    published_at = models.DateTimeField(_("published at"), null=True)

    class Meta:
        db_table = "search_entry"
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="search_entry_one_per_item"
            )
        ]

    def __str__(self):
        return self.title
