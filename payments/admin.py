"""Online giving in the admin: orders (read only: the system writes them), and the daily
reconciliation whose differences the donations officer resolves with a note."""

import csv
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import yuan
from core.spreadsheet import escape_formula
from editorial.errors import NotAllowedError

from .models import Discrepancy, OnlineOrder, Reconciliation, Refund, RefundState
from .reconciliation import discrepancy_resolve
from .refunds import RefundError, refund_approve, refund_reject, refund_request
from .selectors import online_giving_report


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
        "donor",
        "trade_type",
        "state",
        "paid_at",
        "created_at",
    )
    list_filter = ("state", "trade_type", "project", "source")
    list_select_related = ("project", "gift")
    actions = ["export_csv"]
    search_fields = ("out_trade_no", "transaction_id", "donor_name")
    date_hierarchy = "created_at"
    exclude = ("prepay_id", "code_url", "openid")

    @admin.display(description=_("amount (yuan)"), ordering="amount_fen")
    def amount_yuan(self, obj):
        return yuan(obj.amount)

    @admin.display(description=_("Donor"))
    def donor(self, obj):
        return obj.shown_name

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="payments_onlineorder_report"), *super().get_urls()]

    def report_view(self, request):
        """Paid online gifts of the last 30 days per project, source and day."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = online_giving_report(days=30)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Online giving report"),
            "report": report,
            "tables": [
                (_("By project"), report["by_project"]),
                (_("By source"), report["by_source"]),
                (_("By day"), report["by_day"]),
            ],
        }
        return TemplateResponse(request, "admin/payments/report.html", context)

    @admin.action(description=_("Export for the finance office (CSV)"))
    def export_csv(self, request, queryset):
        return orders_csv(queryset.select_related("project").order_by("paid_at", "pk"))


def orders_csv(orders) -> HttpResponse:
    """Online orders as CSV for Excel on Chinese Windows: UTF-8 with a BOM, Chinese headers,
    amounts in yuan to the fen, formula-like cells quoted (core.spreadsheet)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="online-gifts.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["订单号", "微信支付交易号", "项目", "金额（元）", "捐赠人", "匿名",
                     "支付方式", "来源", "状态", "支付时间"])  # fmt: skip
    for order in orders:
        paid = (
            timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M:%S") if order.paid_at else ""
        )
        writer.writerow(
            escape_formula(value)
            for value in (
                order.out_trade_no, order.transaction_id or "", order.project.title,
                f"{order.amount:.2f}", order.donor_name, "是" if order.anonymous else "否",
                order.get_trade_type_display(), order.source, order.get_state_display(), paid,
            )
        )  # fmt: skip
    return response


class DiscrepancyAmounts:
    """A discrepancy's two amounts in yuan, for its inline and its own admin."""

    @admin.display(description=_("in the bill"))
    def bill(self, obj):
        return _yuan_of_fen(obj.bill_fen)

    @admin.display(description=_("recorded"))
    def recorded(self, obj):
        return _yuan_of_fen(obj.recorded_fen)


class DiscrepancyInline(DiscrepancyAmounts, admin.TabularInline):
    model = Discrepancy
    extra = 0
    can_delete = False
    fields = ("kind", "out_trade_no", "transaction_id", "bill", "recorded", "resolution")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


def _yuan_of_fen(fen: int | None) -> str:
    return "" if fen is None else yuan(Decimal(fen) / 100)


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ("bill_date", "bill_count", "bill_sum", "recorded_count", "recorded_sum",
                    "open_differences", "error")  # fmt: skip
    inlines = [DiscrepancyInline]
    fields = ("bill_date", "checked_at", "bill_count", "bill_sum", "recorded_count",
              "recorded_sum", "error")  # fmt: skip
    readonly_fields = ("bill_sum", "recorded_sum")

    @admin.display(description=_("bill total"))
    def bill_sum(self, obj):
        return yuan(obj.bill_total)

    @admin.display(description=_("recorded total"))
    def recorded_sum(self, obj):
        return yuan(obj.recorded_total)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(open_count=Count("discrepancies", filter=Q(discrepancies__resolved_at=None)))
        )

    @admin.display(description=_("open differences"), ordering="open_count")
    def open_differences(self, obj):
        return obj.open_count


class DiscrepancyForm(forms.ModelForm):
    """Resolving a difference: the note is required, checked before anything is saved (the
    service checks it again), so a refusal is the form's error, not a message beside a
    "changed successfully"."""

    class Meta:
        model = Discrepancy
        fields = ("resolution",)

    def clean_resolution(self):
        note = self.cleaned_data["resolution"].strip()
        if not note:
            raise forms.ValidationError(_("Say how the difference was resolved."))
        return note


@admin.register(Discrepancy)
class DiscrepancyAdmin(DiscrepancyAmounts, admin.ModelAdmin):
    form = DiscrepancyForm
    list_display = ("kind", "out_trade_no", "day", "resolved_at", "resolved_by")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("reconciliation", "resolved_by")
    search_fields = ("out_trade_no", "transaction_id")
    fields = ("day", "kind", "out_trade_no", "transaction_id", "order", "bill", "recorded",
              "resolution", "resolved_at", "resolved_by")  # fmt: skip
    readonly_fields = ("day", "kind", "out_trade_no", "transaction_id", "order", "bill",
                       "recorded", "resolved_at", "resolved_by")  # fmt: skip

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Resolving is the donations officer's (discrepancy_resolve checks the same).
        return super().has_change_permission(request, obj) and request.user.has_perm(
            "donations.change_gift"
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.resolved_at is not None:
            return (*self.readonly_fields, "resolution")
        return self.readonly_fields

    @admin.display(description=_("bill date"), ordering="reconciliation__bill_date")
    def day(self, obj):
        return obj.reconciliation.bill_date

    def save_model(self, request, obj, form, change):
        # Resolving is a service (note required, audit entry), never a bare save.
        try:
            discrepancy_resolve(discrepancy=obj, by=request.user, note=obj.resolution)
        except (NotAllowedError, ValueError) as exc:
            self.message_user(request, str(exc), messages.ERROR)


class RefundForm(forms.ModelForm):
    """Asking for a refund: the service runs when the form is validated, so its refusals (not
    paid, more than is left, no permission) are the form's errors."""

    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=14, decimal_places=2)
    user = None

    class Meta:
        model = Refund
        fields = ("order", "reason")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.refund = refund_request(
                order=data["order"], amount=data["amount"], reason=data["reason"], by=self.user
            )
        except (NotAllowedError, RefundError) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    """Asking is adding a refund; approving is an action that refuses the requester."""

    form = RefundForm
    list_display = ("out_refund_no", "order", "amount_yuan", "reason", "state",
                    "requested_by", "decided_by", "error")  # fmt: skip
    list_filter = ("state",)
    raw_id_fields = ("order",)
    actions = ["approve", "reject"]
    # A refund's own page (view only): where it stands, who decided, WeChat Pay's answer.
    detail_fields = ("out_refund_no", "order", "amount_yuan", "reason", "state", "requested_by",
                     "requested_at", "decided_by", "decided_at", "refund_id", "error")  # fmt: skip

    def get_fields(self, request, obj=None):
        return self.detail_fields if obj else ("order", "amount", "reason")

    def get_readonly_fields(self, request, obj=None):
        return self.detail_fields if obj else ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount (yuan)"), ordering="amount_fen")
    def amount_yuan(self, obj):
        return yuan(obj.amount)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        # The form's clean() asked for the refund (refunds.refund_request); nothing to save.
        obj.pk, obj.amount_fen = form.refund.pk, form.refund.amount_fen
        obj.out_refund_no = form.refund.out_refund_no

    @admin.action(description=_("Approve and send to WeChat Pay"))
    def approve(self, request, queryset):
        for refund in queryset:
            try:
                refund = refund_approve(refund=refund, by=request.user)
            except (NotAllowedError, RefundError) as exc:
                self.message_user(request, f"{refund.out_refund_no}: {exc}", messages.ERROR)
                continue
            if refund.state == RefundState.FAILED:
                level, note = messages.ERROR, refund.get_state_display()
            elif refund.error:
                level = messages.WARNING
                note = _("WeChat Pay did not answer; the refund will be sent again.")
            else:
                level, note = messages.SUCCESS, refund.get_state_display()
            self.message_user(request, f"{refund.out_refund_no}: {note}", level)

    @admin.action(description=_("Reject"))
    def reject(self, request, queryset):
        for refund in queryset:
            try:
                refund_reject(refund=refund, by=request.user, note=_("Rejected in the admin"))
            except (NotAllowedError, RefundError) as exc:
                self.message_user(request, f"{refund.out_refund_no}: {exc}", messages.ERROR)
