"""Alumni activities (校友活动) and the sign-ups they take."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.questions import (
    MAX_HELP_LENGTH,
    MAX_LABEL_LENGTH,
    QuestionSpec,
    QuestionType,
    parse_lines,
    validate_spec,
)
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

    # Not content (no revision, no review): what the organiser and the scheduler record.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # The time and place the sign-ups were last told (set when the activity is published): a
    # publication with another time or place sends a change notice, and reminders follow it.
    announced_starts_at = models.DateTimeField(_("announced start"), null=True, blank=True)
    announced_place = models.CharField(_("announced place"), max_length=200, blank=True)
    # The announced start each reminder was last sent for (a new time gets new reminders).
    reminded_day_for = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_hour_for = models.DateTimeField(null=True, blank=True, editable=False)
    # The survey last sent to those who came (an id of surveys.Survey, when that app is there:
    # activities does not depend on it), and when.
    followup_survey_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    followup_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

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

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")


# A ticket's short code: no 0/O, 1/I/L, so it can be read out and typed at the door.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_ticket_code() -> str:
    """A random short code (8 of 31 characters, about 40 bits) for a registration's ticket."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


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
    code = models.CharField(
        _("ticket code"), max_length=12, unique=True, default=new_ticket_code, editable=False
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_door = models.CharField(_("checked in at door"), max_length=40, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    # {question id: stored answer} (core.questions), for the activity's own questions.
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        permissions = [("check_in_registration", _("Can check people in at the door"))]

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


class ActivityQuestion(models.Model):
    """A question the organisers add to an activity's sign-up form (core.questions answers it).

    Answers are stored on the registration under the question's id, so editing a question's
    wording keeps the answers given; a deleted question's answers stay in the row unread.
    """

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="questions", verbose_name=_("activity")
    )
    label = models.CharField(_("question"), max_length=MAX_LABEL_LENGTH)
    help_text = models.CharField(_("hint"), max_length=MAX_HELP_LENGTH, blank=True)
    type = models.CharField(
        _("type"),
        max_length=16,
        choices=[(v, label) for v, label in QuestionType.choices if v != QuestionType.MATRIX],
        default=QuestionType.TEXT,
    )
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("Single and multiple choice: one choice per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    min_value = models.DecimalField(
        _("minimum"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Number: the smallest answer; multiple choice: the fewest ticks."),
    )
    max_value = models.DecimalField(
        _("maximum"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "Number: the largest answer; multiple choice: the most ticks; rating: the top of "
            "the scale (5 if empty)."
        ),
    )
    position = models.PositiveSmallIntegerField(_("place in the form"), default=0)

    class Meta:
        verbose_name = _("sign-up question")
        verbose_name_plural = _("sign-up questions")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.label

    def spec(self) -> QuestionSpec:
        """This question as core.questions asks and reads it (its key: the question's id)."""

        def number(value):
            if value is None:
                return None
            value = Decimal(value)  # an int or str before the row is read back
            return int(value) if value == value.to_integral_value() else value

        return QuestionSpec(
            key=str(self.pk or "new"),
            type=self.type,
            label=self.label,
            help_text=self.help_text,
            required=self.required,
            choices=parse_lines(self.choices),
            min_value=number(self.min_value),
            max_value=number(self.max_value),
        )

    def clean(self):
        super().clean()
        validate_spec(self.spec())
