"""Online gifts: one OnlineOrder per attempt to pay, recorded as a donations Gift exactly once."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import attribution
from core.money import yuan


class OrderState(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Not created")


class TradeType(models.TextChoices):
    JSAPI = "JSAPI", _("Pay in WeChat")
    NATIVE = "NATIVE", _("QR code")


class OnlineOrder(models.Model):
    """A donor's order at WeChat Pay. `amount_fen` is what WeChat Pay is asked for (integer fen);
    `amount` the same in yuan (Decimal). Paid once: `gift` is unique and set under the row lock."""

    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True)
    project = models.ForeignKey(
        "donations.DonationProject",
        on_delete=models.PROTECT,
        related_name="online_orders",
        verbose_name=_("project"),
    )
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    donor_name = models.CharField(_("donor name"), max_length=100, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    message = models.CharField(_("public message"), max_length=200, blank=True)
    # Where the thank-you e-mail goes (optional), and whether it (and the WeChat thank-you)
    # says the amount: the donor's choice, as on the certificate.
    email = models.EmailField(_("donor e-mail"), blank=True)
    show_amount = models.BooleanField(_("amount in the thank-you"), default=True)
    openid = models.CharField(_("payer openid"), max_length=64, blank=True)
    trade_type = models.CharField(_("payment type"), max_length=8, choices=TradeType.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=OrderState.choices, default=OrderState.PENDING
    )
    prepay_id = models.CharField(max_length=64, blank=True)
    code_url = models.CharField(max_length=256, blank=True)
    transaction_id = models.CharField(
        _("WeChat Pay transaction"), max_length=32, null=True, blank=True, unique=True
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_via = models.CharField(_("learnt from"), max_length=16, blank=True)
    # Where the donor came from: the give link's ?src= (a push, a QR code's scene…), for reports.
    source = models.CharField(
        _("source"), max_length=attribution.SOURCE_MAX_LENGTH, blank=True, db_index=True
    )
    gift = models.OneToOneField(
        "donations.Gift",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_order",
        verbose_name=_("gift"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    next_query_at = models.DateTimeField(_("next query at WeChat Pay"), null=True, blank=True)
    query_count = models.PositiveIntegerField(_("queries at WeChat Pay"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="online_order_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="paid") | models.Q(gift__isnull=False),
                name="online_order_paid_has_gift",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.out_trade_no} {yuan(self.amount)}"

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))

    @property
    def shown_name(self) -> str:
        return _("Anonymous donor") if self.anonymous or not self.donor_name else self.donor_name


class Reconciliation(models.Model):
    """One day's trade bill compared with the gifts recorded from online orders."""

    bill_date = models.DateField(_("bill date"), unique=True)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    bill_count = models.PositiveIntegerField(_("payments in the bill"), default=0)
    bill_total_fen = models.BigIntegerField(default=0)
    recorded_count = models.PositiveIntegerField(_("gifts recorded"), default=0)
    recorded_total_fen = models.BigIntegerField(default=0)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("daily reconciliation")
        verbose_name_plural = _("daily reconciliations")
        ordering = ["-bill_date"]

    def __str__(self):
        return f"{self.bill_date:%Y-%m-%d}"

    @property
    def bill_total(self) -> Decimal:
        return Decimal(self.bill_total_fen) / 100

    @property
    def recorded_total(self) -> Decimal:
        return Decimal(self.recorded_total_fen) / 100


class DiscrepancyKind(models.TextChoices):
    MISSING = "missing", _("Paid but not recorded")
    EXTRA = "extra", _("Recorded but not in the bill")
    AMOUNT = "amount", _("Amounts differ")
    REFUNDED = "refunded", _("Refunded")


class Discrepancy(models.Model):
    """A difference between the trade bill and our records, for the donations officer."""

    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="discrepancies"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DiscrepancyKind.choices)
    out_trade_no = models.CharField(_("order number"), max_length=32)
    transaction_id = models.CharField(_("WeChat Pay transaction"), max_length=32, blank=True)
    bill_fen = models.BigIntegerField(null=True, blank=True)
    recorded_fen = models.BigIntegerField(null=True, blank=True)
    order = models.ForeignKey(
        OnlineOrder, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("order")
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("difference")
        verbose_name_plural = _("differences")
        ordering = ["resolved_at", "-reconciliation__bill_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reconciliation", "kind", "out_trade_no"], name="discrepancy_once"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.out_trade_no}"


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    SENT = "sent", _("Sent to WeChat Pay")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """A refund of an online gift: asked for by one person, approved by another, then sent."""

    order = models.ForeignKey(
        OnlineOrder, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    out_refund_no = models.CharField(_("refund number"), max_length=64, unique=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=80)
    state = models.CharField(
        _("state"), max_length=16, choices=RefundState.choices, default=RefundState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refund_id = models.CharField(_("WeChat Pay refund"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="refund_positive")
        ]

    def __str__(self):
        return f"{self.out_refund_no} {yuan(self.amount)}"

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))
