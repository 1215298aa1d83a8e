"""The account's custom menus and every version of them (imported by wechat.models).

A `Menu` is the default menu or a conditional menu for one WeChat tag. Each change is a
`MenuVersion`: edited while it awaits approval, approved by a second person, then published
to WeChat by a task. Published versions are kept; an older one comes back as a new version
(rollback), which is approved like any other.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Menu(models.Model):
    """One menu of the account: the default (`tag_id` empty) or a conditional one for a tag."""

    name = models.CharField(_("name"), max_length=60)
    tag_id = models.PositiveIntegerField(
        _("WeChat tag id"),
        null=True,
        blank=True,
        help_text=_("Followers with this tag see this menu, not the default one."),
    )
    tag_name = models.CharField(_("WeChat tag name"), max_length=30, blank=True)
    wechat_menuid = models.CharField(_("WeChat menu id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("WeChat menu")
        verbose_name_plural = _("WeChat menus")
        ordering = [models.F("tag_id").asc(nulls_first=True), "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tag_id"],
                name="wechat_menu_one_per_tag",
                condition=models.Q(tag_id__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["name"],
                name="wechat_menu_one_default",
                condition=models.Q(tag_id__isnull=True),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_default(self) -> bool:
        return self.tag_id is None


class MenuVersionState(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved, publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    SUPERSEDED = "superseded", _("Replaced by a later version")
    DISCARDED = "discarded", _("Discarded")


class MenuVersion(models.Model):
    """One version of a menu: WeChat's button JSON, who edited and who approved it."""

    menu = models.ForeignKey(
        Menu, on_delete=models.CASCADE, related_name="versions", verbose_name=_("menu")
    )
    number = models.PositiveIntegerField(_("version"))
    buttons = models.JSONField(_("buttons"), default=list)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=MenuVersionState.choices,
        default=MenuVersionState.DRAFT,
        db_index=True,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Everyone who changed this version: none of them may approve it (four eyes).
    editor_ids = models.JSONField(_("edited by"), default=list)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    error_code = models.IntegerField(_("WeChat error code"), null=True, blank=True)
    error_message = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("WeChat menu version")
        verbose_name_plural = _("WeChat menu versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "number"], name="wechat_menuversion_number")
        ]

    def __str__(self):
        return f"{self.menu} v{self.number}"
