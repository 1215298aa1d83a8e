"""Channel QR codes: where a follower came from (CONTRACT.md §15)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    BRANCH = "branch", _("Branch")
    ACTIVITY = "activity", _("Activity")
    POSTER = "poster", _("Event poster")
    CAMPAIGN = "campaign", _("Campaign")


class Channel(models.Model):
    """One parametric QR code and what it stands for.

    `scene` is what the code carries (WeChat's scene_str, 1–64 characters, unique here): a
    scan pushes it back as the EventKey, which is how a follow or scan is attributed. A
    permanent code never expires (the account may have 100,000); a temporary one lives
    `expire_days` days (at most 30) and can be renewed with a new ticket for the same scene.
    `ticket`/`url` are WeChat's answer; the QR image is `url` drawn as a QR code.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    branch = models.ForeignKey(
        "alumni.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item type"),
    )
    object_id = models.PositiveBigIntegerField(_("item id"), null=True, blank=True)
    item = GenericForeignKey("content_type", "object_id")
    scene = models.CharField(_("scene"), max_length=64, unique=True)
    permanent = models.BooleanField(_("permanent"), default=True)
    expire_days = models.PositiveSmallIntegerField(
        _("valid for (days)"), default=30, help_text=_("Temporary codes only: 1 to 30 days.")
    )
    ticket = models.CharField(_("ticket"), max_length=255, blank=True)
    url = models.CharField(_("QR code content"), max_length=255, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel QR code")
        verbose_name_plural = _("channel QR codes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def has_code(self) -> bool:
        return bool(self.url) and not self.expired


class ChannelScan(models.Model):
    """One scan of a channel's code, from one callback (the OneToOne makes WeChat's retries and
    a receiver run twice land on one row). `new_follower`: the scan made them follow."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="scans", verbose_name=_("QR channel")
    )
    event = models.OneToOneField(
        "wechat.CallbackEvent",
        on_delete=models.CASCADE,
        related_name="channel_scan",
        verbose_name=_("callback event"),
    )
    openid = models.CharField(_("openid"), max_length=64)
    new_follower = models.BooleanField(_("new follower"), default=False)
    scanned_at = models.DateTimeField(_("scanned at"), db_index=True)

    class Meta:
        verbose_name = _("channel scan")
        verbose_name_plural = _("channel scans")
        ordering = ["-scanned_at", "-pk"]
        indexes = [models.Index(fields=["channel", "scanned_at"], name="wechat_chan_scan_day")]

    def __str__(self):
        return f"{self.channel} {self.scanned_at:%Y-%m-%d %H:%M}"
