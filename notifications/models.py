"""Every message the site sends to a person about their own business (a sign-up's
confirmation, later reminders and tickets), one row per event and channel."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")


class Kind(models.TextChoices):
    SIGNUP = "signup", _("Sign-up confirmation")
    PROMOTED = "promoted", _("Moved up from the waitlist")
    CANCELLED = "cancelled", _("Sign-up cancelled")
    # Activities (activities.schedule): reminders, a new time or place, the whole activity off.
    REMINDER_DAY = "reminder_day", _("Reminder a day before")
    REMINDER_HOUR = "reminder_hour", _("Reminder an hour before")
    CHANGED = "changed", _("Time or place changed")
    ACTIVITY_CANCELLED = "activity_cancelled", _("Activity cancelled")
    FOLLOWUP_SURVEY = "followup_survey", _("Follow-up survey")
    # WeChat pushes (wechat.signals.push_moved), to the push's author.
    PUSH_APPROVED = "push_approved", _("Push approved")
    PUSH_SENT = "push_sent", _("Push sent")
    PUSH_FAILED = "push_failed", _("Push failed")
    # Online gifts (payments.signals.gift_paid), to the donor.
    GIFT_THANKS = "gift_thanks", _("Thanks for a gift")


class Delivery(models.TextChoices):
    """What WeChat reported about a template message (TEMPLATESENDJOBFINISH's Status)."""

    DELIVERED = "delivered", _("Delivered")
    USER_BLOCK = "user_block", _("Refused by the follower")
    SYSTEM_FAILED = "system_failed", _("WeChat failed to deliver")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Will try again")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One message to one person on one channel, sent by notification_send (at most once per
    `key` and channel: the unique constraint is what makes a repeated event harmless).

    `key` names the event, e.g. "activities.registration:12:signup"; `recipient` is the e-mail
    address or the openid it goes to; `msgid` is WeChat's id of a template message; `error`
    the last failure.
    """

    key = models.CharField(_("event"), max_length=120)
    channel = models.CharField(_("sent by"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    registration = models.ForeignKey(
        "activities.Registration",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("registration"),
    )
    recipient = models.CharField(_("recipient"), max_length=254)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=NotificationState.choices,
        default=NotificationState.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    push = models.ForeignKey(
        "wechat.Push",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("WeChat push"),
    )
    msgid = models.CharField(_("WeChat msgid"), max_length=64, blank=True, db_index=True)
    # WeChat's later report on a template message (TEMPLATESENDJOBFINISH); empty until then.
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices, blank=True)
    delivery_at = models.DateTimeField(_("delivery reported at"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel"], name="notifications_notification_once"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_channel_display()}"


class SubscriptionOptIn(models.Model):
    """How many more subscription notifications (订阅通知) of `template_id` the follower
    `openid` accepted: each "accept" in the opt-in popup (subscribe_msg_popup_event) allows one
    send of a one-time template; a send uses one up; a "reject" sets it to zero."""

    openid = models.CharField(_("openid"), max_length=64)
    template_id = models.CharField(_("template id"), max_length=128)
    remaining = models.PositiveIntegerField(_("sends left"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription notification opt-in")
        verbose_name_plural = _("subscription notification opt-ins")
        constraints = [
            models.UniqueConstraint(
                fields=["openid", "template_id"], name="notifications_optin_once"
            )
        ]

    def __str__(self):
        return f"{self.template_id} × {self.remaining}"
