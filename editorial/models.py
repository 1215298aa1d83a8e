"""The editorial workflow every content type shares.

`EditorialItem` is the abstract base of articles, activities, alumni-style profiles and donation
projects. Its `state` only ever changes through `editorial.services`; revisions, audit entries
and review comments hang off any item through generic relations.
"""

from ckeditor_uploader.fields import RichTextUploadingField
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import SingleLineTextMixin

from .fields import PhotoField
from .html import html_to_text, sanitize_html


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting review")
    # No item rests here any more (an approval publishes or schedules it, editorial.workflow);
    # kept so the audit entries written before that still read.
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Sent back")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# WeChat's limits (shared/wechat/CONTRACT.md §11): anything longer is refused by draft/add.
TITLE_MAX_LENGTH = 32
AUTHOR_MAX_LENGTH = 16
DIGEST_MAX_LENGTH = 128


class EditorialQuerySet(models.QuerySet):
    def published(self):
        """Items the public may see, newest first."""
        return self.filter(state=State.PUBLISHED).order_by("-published_at", "-pk")

    def by_state(self, *states):
        return self.filter(state__in=states)


class ReviewComment(models.Model):
    """A reviewer's remark on one submission, shown to the author in the admin and the portal."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, verbose_name=_("author")
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.body[:40]


class AuditEntry(models.Model):
    """One line of an item's audit trail: who moved it from which state to which, and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=State.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, verbose_name=_("user")
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        permissions = [
            ("review_item", _("Can approve, send back, schedule and withdraw items")),
            ("use_liaison_portal", _("Can submit news through the liaison portal")),
        ]

    def __str__(self):
        return f"{self.action} {self.from_state}→{self.to_state}"


class Revision(models.Model):
    """A snapshot of an item's editable fields, kept at each save while it is a draft."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(_("content"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, verbose_name=_("saved by")
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M}"


def _plain(value):
    """A field value as JSON: files by their storage name, dates as ISO text."""
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "storage"):
        return value.name or ""
    return str(value)


class EditorialItem(SingleLineTextMixin, models.Model):
    """Abstract base of every piece of content that goes through review before the public sees it.

    Subclasses add their own fields and name the public URL in `get_absolute_url`. The fields
    here are the ones every content type shares and WeChat needs (title, digest, body, cover).
    """

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    digest = models.CharField(
        _("digest"),
        max_length=DIGEST_MAX_LENGTH,
        blank=True,
        help_text=_(
            "A one-line summary shown in lists and WeChat; the first text when left empty."
        ),
    )
    body = RichTextUploadingField(_("body"), blank=True)
    cover = PhotoField(_("cover image"), upload_to="covers/%Y/%m/", blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("Leave empty to publish on approval; a future time schedules it."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    audit_entries = GenericRelation(AuditEntry)
    review_comments = GenericRelation(ReviewComment)
    revisions = GenericRelation(Revision)

    objects = EditorialQuerySet.as_manager()

    # Rich-text fields sanitized on every save; subclasses may name more.
    rich_text_fields = ("body",)
    # Fields a revision snapshots; subclasses extend it with their own editable fields.
    revision_fields = ("title", "digest", "body", "cover")
    # Rows edited together with the item (admin inlines, the liaison portal's photos) that are
    # part of its content: reverse relation name -> the fields a revision snapshots of each row.
    # A change to them is a change of the item, reviewed and kept in revisions like its fields.
    revision_related: dict[str, tuple[str, ...]] = {}
    # Name of the public detail URL pattern, reversed with the item's pk.
    public_url_name = ""
    # Name of the URL pattern where a reader gives to the item (reversed with its pk), for items
    # whose links record which push or QR channel led to them (core.attribution's ?src=).
    give_url_name = ""
    # What the public search finds an item by (the search app indexes these while the item is
    # published): fields matched as the title, ranked first, and fields matched as its text;
    # rich-text fields are read as their words.
    search_title_fields: tuple[str, ...] = ("title",)
    search_text_fields: tuple[str, ...] = ("digest", "body")

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        for name in self.rich_text_fields:
            setattr(self, name, sanitize_html(getattr(self, name)))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(self.public_url_name, args=[self.pk])

    def clean(self):
        """Sanitize the rich-text fields and refuse any longer than EDITORIAL_BODY_MAX_CHARS.

        The limit counts the HTML as stored (after sanitizing): it keeps pages, revisions and
        their diffs a size the site can serve.
        """
        super().clean()
        limit = settings.EDITORIAL_BODY_MAX_CHARS
        errors = {}
        for name in self.rich_text_fields:
            value = sanitize_html(getattr(self, name))
            setattr(self, name, value)
            if len(value) > limit:
                errors[name] = ValidationError(
                    _(
                        "This text is too long: %(length)d characters once cleaned, at most "
                        "%(max)d are allowed. Split it into several items or shorten it."
                    ),
                    code="too_long",
                    params={"length": len(value), "max": limit},
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        return self.state == State.PUBLISHED

    @property
    def summary(self) -> str:
        """The digest, or the body's first words when no digest was written."""
        if self.digest:
            return self.digest
        text = html_to_text(self.body)
        return text if len(text) <= 120 else text[:118] + "…"

    def revision_snapshot(self) -> dict:
        """The editable fields as plain JSON, for a revision."""
        data = {}
        for name in self.revision_fields:
            value = getattr(self, name)
            field = self._meta.get_field(name)
            if field.is_relation:
                value = getattr(self, field.attname)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif value is not None and not isinstance(value, (str, int, bool, float)):
                value = str(value)
            data[name] = value
        for relation, fields in self.revision_related.items():
            data[relation] = [
                {name: _plain(getattr(row, name)) for name in fields}
                for row in getattr(self, relation).all()
            ]
        return data

    # Thin shortcuts to editorial.services (imported late: services import this module).

    def submit(self, *, by, comment: str = ""):
        """See `editorial.services.item_submit`."""
        from .services import item_submit

        return item_submit(item=self, by=by, comment=comment)

    def approve(self, *, by, comment: str = ""):
        """See `editorial.services.item_approve`."""
        from .services import item_approve

        return item_approve(item=self, by=by, comment=comment)

    def reject(self, *, by, reason: str):
        """See `editorial.services.item_reject`."""
        from .services import item_reject

        return item_reject(item=self, by=by, reason=reason)

    def publish(self, *, by):
        """See `editorial.services.item_publish`; `by` is a reviewer or editorial.actors.SYSTEM."""
        from .services import item_publish

        return item_publish(item=self, by=by)

    def withdraw(self, *, by, reason: str = ""):
        """See `editorial.services.item_withdraw`."""
        from .services import item_withdraw

        return item_withdraw(item=self, by=by, reason=reason)
