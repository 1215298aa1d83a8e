"""Online giving in the admin: orders (read only: the system writes them), and the daily
reconciliation whose differences the donations officer resolves with a note."""

from decimal import Decimal

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.money import yuan
from editorial.errors import NotAllowedError

from .models import Discrepancy, OnlineOrder, Reconciliation
from .reconciliation import discrepancy_resolve


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OnlineOrder)
class OnlineOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "out_trade_no",
        "project",
        "amount_yuan",
        "shown_name",
        "trade_type",
        "state",
        "paid_at",
        "created_at",
    )
    list_filter = ("state", "trade_type")
    list_select_related = ("project",)
    search_fields = ("out_trade_no", "transaction_id", "donor_name")
    date_hierarchy = "created_at"
    exclude = ("prepay_id", "code_url", "openid")

    @admin.display(description=_("amount (yuan)"), ordering="amount_fen")
    def amount_yuan(self, obj):
        return yuan(obj.amount)


class DiscrepancyInline(admin.TabularInline):
    model = Discrepancy
    extra = 0
    can_delete = False
    fields = ("kind", "out_trade_no", "transaction_id", "bill", "recorded", "resolution")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("in the bill"))
    def bill(self, obj):
        return _yuan_of_fen(obj.bill_fen)

    @admin.display(description=_("recorded"))
    def recorded(self, obj):
        return _yuan_of_fen(obj.recorded_fen)


def _yuan_of_fen(fen: int | None) -> str:
    return "" if fen is None else yuan(Decimal(fen) / 100)


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ("bill_date", "bill_count", "bill_sum", "recorded_count", "recorded_sum",
                    "open_differences", "error")  # fmt: skip
    inlines = [DiscrepancyInline]
    exclude = ("bill_total_fen", "recorded_total_fen")

    @admin.display(description=_("bill total"))
    def bill_sum(self, obj):
        return yuan(obj.bill_total)

    @admin.display(description=_("recorded total"))
    def recorded_sum(self, obj):
        return yuan(obj.recorded_total)

    @admin.display(description=_("open differences"))
    def open_differences(self, obj):
        return obj.discrepancies.filter(resolved_at__isnull=True).count()


@admin.register(Discrepancy)
class DiscrepancyAdmin(admin.ModelAdmin):
    list_display = ("kind", "out_trade_no", "reconciliation", "resolved_at", "resolved_by")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("out_trade_no", "transaction_id")
    fields = ("reconciliation", "kind", "out_trade_no", "transaction_id", "order",
              "bill_fen", "recorded_fen", "resolution", "resolved_at", "resolved_by")  # fmt: skip
    readonly_fields = ("reconciliation", "kind", "out_trade_no", "transaction_id", "order",
                       "bill_fen", "recorded_fen", "resolved_at", "resolved_by")  # fmt: skip

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.resolved_at is not None:
            return (*self.readonly_fields, "resolution")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Resolving is a service (note required, audit entry), never a bare save.
        try:
            discrepancy_resolve(discrepancy=obj, by=request.user, note=obj.resolution)
        except (NotAllowedError, ValueError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
