"""What WeChat pushed to us. (Pushes and uploaded images will join this module later.)"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CallbackEvent(models.Model):
    """One event or message WeChat pushed to /wechat/callback/, stored exactly once.

    `dedup_key` makes WeChat's retries (3 attempts) land on the same row. `payload` holds the
    parsed XML under "raw" plus normalised fields per event (see wechat.callbacks). Whoever
    acts on the event sets `processed` through `mark_processed()`.
    """

    MASS_SEND_FINISHED = "MASSSENDJOBFINISH"
    PUBLISH_FINISHED = "PUBLISHJOBFINISH"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"

    dedup_key = models.CharField(_("deduplication key"), max_length=255)
    msg_type = models.CharField(_("message type"), max_length=32)
    event = models.CharField(_("event"), max_length=64, blank=True, db_index=True)
    from_user = models.CharField(_("sender"), max_length=64)
    to_user = models.CharField(_("recipient account"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"))
    msg_id = models.CharField(_("message id"), max_length=64, blank=True, db_index=True)
    publish_id = models.CharField(_("publish id"), max_length=64, blank=True, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    processed = models.BooleanField(_("processed"), default=False)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat callback event")
        verbose_name_plural = _("WeChat callback events")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], name="wechat_callbackevent_dedup_key")
        ]

    def __str__(self):
        return f"{self.event or self.msg_type} {self.msg_id or self.publish_id or self.from_user}"

    def mark_processed(self) -> None:
        """Record that the event has been acted on (idempotent)."""
        if not self.processed:
            self.processed = True
            self.processed_at = timezone.now()
            self.save(update_fields=["processed", "processed_at"])
