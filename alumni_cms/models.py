"""What the operations side remembers: problems found (failed or stuck pushes and syncs, failed
tasks) and whether the office admins were mailed about them."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProblemKind(models.TextChoices):
    PUSH_FAILED = "push_failed", _("Push failed")
    PUSH_STUCK = "push_stuck", _("Push stuck")
    FOLLOWER_SYNC_FAILED = "follower_sync_failed", _("Follower sync failed")
    FOLLOWER_SYNC_STUCK = "follower_sync_stuck", _("Follower sync stuck")
    FOLLOWER_SYNC_OVERDUE = "follower_sync_overdue", _("Follower sync overdue")
    DATACUBE_SYNC_OVERDUE = "datacube_sync_overdue", _("Reading statistics sync overdue")
    SEGMENT_SYNC_FAILED = "segment_sync_failed", _("Segment sync failed")
    SEGMENT_SYNC_STUCK = "segment_sync_stuck", _("Segment sync stuck")
    TASK_FAILED = "task_failed", _("Background task failed")
    DISK_FULL = "disk_full", _("Disk almost full")


class Problem(models.Model):
    """One failure or stuck run, found once (its `key` is unique) and mailed once.

    `summary` names the row by id and the failure by kind or WeChat code, masked by
    core.redaction: it never holds personal data.
    """

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=ProblemKind.choices)
    summary = models.CharField(_("summary"), max_length=500)
    url = models.CharField(_("link"), max_length=200, blank=True)
    found_at = models.DateTimeField(_("found at"), default=timezone.now, db_index=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-found_at", "-pk"]
        permissions = [("view_system_status", _("Can see the system status page"))]

    def __str__(self):
        return self.summary
