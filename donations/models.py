"""Campus donation projects (校园捐赠) and the gifts made to them."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import yuan
from core.text import SingleLineTextMixin
from editorial.models import EditorialItem

from .validators import validate_gift_amount, validate_project_goal


@dataclass(frozen=True)
class HowToGive:
    """What a project page tells a donor: the project's own text, or the office's account and
    contact (settings DONATIONS_*); `remark` is what to write as the transfer's remark."""

    text: str
    account_name: str
    bank_name: str
    account: str
    contact: str
    remark: str

    @property
    def has_account(self) -> bool:
        return bool(self.account)


class DonationProject(EditorialItem):
    goal = models.DecimalField(
        _("goal (yuan)"),
        max_digits=14,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.01"), message=_("A goal must be more than ¥0.")),
            validate_project_goal,
        ],
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    how_to_give = models.TextField(
        _("how to give"),
        blank=True,
        max_length=2000,
        help_text=_(
            "Plain text. Leave empty to show the office's bank account and contact; fill in to "
            "show this instead (another account, a contact for this project)."
        ),
    )

    revision_fields = EditorialItem.revision_fields + ("goal", "deadline", "how_to_give")
    public_url_name = "donations:detail"
    give_url_name = "payments:give"

    class Meta:
        verbose_name = _("donation project")
        verbose_name_plural = _("donation projects")
        ordering = ["-published_at", "-pk"]

    @property
    def giving(self) -> HowToGive:
        """How to give to this project: its own `how_to_give` when filled in, else the
        office's bank account and contact from the settings."""
        return HowToGive(
            text=self.how_to_give.strip(),
            account_name=settings.DONATIONS_BANK_ACCOUNT_NAME,
            bank_name=settings.DONATIONS_BANK_NAME,
            account=settings.DONATIONS_BANK_ACCOUNT,
            contact=settings.DONATIONS_CONTACT,
            remark=self.title,
        )


class Channel(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    WECHAT_PAY = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Gift(SingleLineTextMixin, models.Model):
    project = models.ForeignKey(
        DonationProject, on_delete=models.PROTECT, related_name="gifts", verbose_name=_("project")
    )
    donor_alumnus = models.ForeignKey(
        "alumni.Alumnus",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("donor alumnus"),
    )
    donor_name = models.CharField(
        _("donor name"),
        max_length=100,
        help_text=_("The alumnus's or organisation's name as it should be acknowledged."),
    )
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.01"), message=_("A gift must be more than ¥0.")),
            validate_gift_amount,
        ],
    )
    donated_on = models.DateField(_("date"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Keep the donor's name off public pages.")
    )
    message = models.CharField(_("public message"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-donated_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="gift_amount_positive")
        ]

    def __str__(self):
        return f"{self.donor_name} {yuan(self.amount)}"

    @property
    def public_donor_name(self) -> str:
        return _("Anonymous donor") if self.anonymous else self.donor_name
