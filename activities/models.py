"""Alumni activities (校友活动) and the sign-ups they take."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import SingleLineTextMixin
from editorial.models import EditorialItem


class Activity(EditorialItem):
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200)
    how_to_join = models.TextField(_("how to take part"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    waitlist_enabled = models.BooleanField(
        _("waitlist"), default=True, help_text=_("When full, put new sign-ups on a waitlist.")
    )
    signup_deadline = models.DateTimeField(_("sign-up deadline"), null=True, blank=True)
    organiser_branch = models.ForeignKey(
        "alumni.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organiser"),
        help_text=_("Leave empty when the alumni office organises it."),
    )

    revision_fields = EditorialItem.revision_fields + (
        "starts_at",
        "ends_at",
        "place",
        "how_to_join",
        "capacity",
        "signup_deadline",
    )
    public_url_name = "activities:detail"
    search_text_fields = EditorialItem.search_text_fields + ("place",)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]

    def signup_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.signup_deadline is None or now <= self.signup_deadline


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")


class Registration(SingleLineTextMixin, models.Model):
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("activity")
    )
    name = models.CharField(_("name"), max_length=50)
    class_year = models.PositiveSmallIntegerField(_("class year"))
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(
        _("e-mail"), blank=True, help_text=_("Where the confirmation of the sign-up is sent.")
    )
    alumnus = models.ForeignKey(
        "alumni.Alumnus",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("alumnus"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.REGISTERED,
        db_index=True,
    )
    created_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.name} · {self.activity}"


class LookupCode(models.Model):
    """A one-time code sent to a phone number so its owner can list the sign-ups made with it.

    Neither the number nor the code is stored in the clear: `phone_hash` and `code_hash` are
    keyed hashes (activities.lookup). A code expires, is spent by its use, and is burnt by
    too many wrong tries.
    """

    phone_hash = models.CharField(_("phone hash"), max_length=64, db_index=True)
    code_hash = models.CharField(_("code hash"), max_length=64)
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up look-up code")
        verbose_name_plural = _("sign-up look-up codes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"
