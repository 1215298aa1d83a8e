"""Daily reconciliation: WeChat Pay's trade bill for a day against the gifts recorded from
online orders paid that day (Asia/Shanghai). Differences are listed for the donations officer,
who resolves each with a note (an audit entry).

Kinds: MISSING (paid in the bill, no gift here: a notification and every query failed, or an
order we do not know), EXTRA (a gift here the bill does not have), AMOUNT (both, different
amounts), REFUNDED (the bill shows a refund of a recorded gift).
"""

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.errors import NotAllowedError
from editorial.models import AuditEntry

from .errors import PaymentError
from .gateway import WeChatPayGateway
from .models import Discrepancy, DiscrepancyKind, OnlineOrder, OrderState, Reconciliation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BillLine:
    out_trade_no: str
    transaction_id: str
    trade_state: str
    total_fen: int


def _fen(text: str) -> int:
    try:
        return int((Decimal(text) * 100).to_integral_value())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc


def parse_trade_bill(text: str) -> list[BillLine]:
    """The transaction lines of a trade bill (CSV, values prefixed with a backquote, a header
    line, then the totals after a line starting 总交易单数). Raises ValueError."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [name.strip().lstrip("\ufeff") for name in rows[0]]
    try:
        index = {name: header.index(name) for name in ("微信订单号", "商户订单号", "交易状态")}
        amount = header.index("订单金额") if "订单金额" in header else header.index("应结订单金额")
    except ValueError as exc:
        raise ValueError("not a trade bill: a column is missing") from exc
    lines = []
    for row in rows[1:]:
        if not row or row[0].startswith("总交易单数"):
            break
        values = [value.strip().lstrip("`") for value in row]
        lines.append(
            BillLine(
                out_trade_no=values[index["商户订单号"]],
                transaction_id=values[index["微信订单号"]],
                trade_state=values[index["交易状态"]],
                total_fen=_fen(values[amount]),
            )
        )
    return lines


def reconcile_day(*, day: date, gateway: WeChatPayGateway | None = None) -> Reconciliation:
    """Download `day`'s trade bill and compare it with the orders paid that day. Running a day
    again replaces its unresolved differences and keeps the resolved ones.
    Raises PaymentError (nothing changed) when the bill cannot be had."""
    gateway = gateway or WeChatPayGateway()
    lines = parse_trade_bill(gateway.trade_bill(day))
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    end = timezone.make_aware(datetime.combine(day, time.max), zone)
    paid = {
        order.out_trade_no: order
        for order in OnlineOrder.objects.filter(state=OrderState.PAID, paid_at__range=(start, end))
    }
    by_number = {line.out_trade_no: line for line in lines if line.trade_state != "REFUND"}
    refunded = {line.out_trade_no: line for line in lines if line.trade_state == "REFUND"}
    others = {
        order.out_trade_no: order
        for order in OnlineOrder.objects.filter(
            out_trade_no__in=[no for no in [*by_number, *refunded] if no not in paid]
        )
    }
    found = []
    for no, line in refunded.items():
        found.append((DiscrepancyKind.REFUNDED, line, paid.get(no) or others.get(no)))
    for no, line in by_number.items():
        order = paid.get(no)
        if order is None:
            other = others.get(no)
            # A payment refunded in full is listed as refunded, not as missing.
            if no not in refunded and (other is None or other.state != OrderState.PAID):
                found.append((DiscrepancyKind.MISSING, line, other))
        elif order.amount_fen != line.total_fen:
            found.append((DiscrepancyKind.AMOUNT, line, order))
    for no, order in paid.items():
        if no not in by_number:
            found.append((DiscrepancyKind.EXTRA, None, order))
    with transaction.atomic():
        run, _created = Reconciliation.objects.select_for_update().get_or_create(bill_date=day)
        run.checked_at = timezone.now()
        run.bill_count = len(by_number)
        run.bill_total_fen = sum(line.total_fen for line in by_number.values())
        run.recorded_count = len(paid)
        run.recorded_total_fen = sum(order.amount_fen for order in paid.values())
        run.error = ""
        run.save()
        run.discrepancies.filter(resolved_at__isnull=True).delete()
        resolved = set(run.discrepancies.values_list("kind", "out_trade_no"))
        Discrepancy.objects.bulk_create(
            Discrepancy(
                reconciliation=run,
                kind=kind,
                out_trade_no=(line.out_trade_no if line else order.out_trade_no),
                transaction_id=(line.transaction_id if line else order.transaction_id or ""),
                bill_fen=line.total_fen if line else None,
                recorded_fen=order.amount_fen if order and order.state == OrderState.PAID else None,
                order=order,
            )
            for kind, line, order in found
            if (kind, line.out_trade_no if line else order.out_trade_no) not in resolved
        )
    return run


def reconcile_yesterday() -> Reconciliation | None:
    """The beat task's work, every half hour from 10:00 to 16:30: yesterday's bill, until it
    has been compared once. WeChat Pay makes it after 10:00 and answers STATEMENT_CREATING
    until then (its FAQ: ask again half an hour later); a failure is noted on the day's row and
    the next run tries again. Returns the day's comparison, None when done before or failed."""
    day = timezone.localdate() - timedelta(days=1)
    if Reconciliation.objects.filter(bill_date=day, error="").exists():
        return None
    try:
        return reconcile_day(day=day)
    except (PaymentError, ValueError) as exc:
        logger.warning("Reconciliation of %s failed: %s", day, exc)
        Reconciliation.objects.update_or_create(
            bill_date=day, defaults={"error": str(exc)[:200], "checked_at": timezone.now()}
        )
        return None


def discrepancy_resolve(*, discrepancy: Discrepancy, by, note: str) -> Discrepancy:
    """Mark a difference resolved with the officer's note, and an audit entry.
    Raises NotAllowedError unless `by` may change gifts; ValueError for an empty note."""
    if not (by is not None and by.is_authenticated and by.has_perm("donations.change_gift")):
        raise NotAllowedError(_("Only the donations officer may resolve differences."))
    note = note.strip()
    if not note:
        raise ValueError(_("Say how the difference was resolved."))
    with transaction.atomic():
        discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        discrepancy.resolution = note
        discrepancy.resolved_at = timezone.now()
        discrepancy.resolved_by = by
        discrepancy.save(update_fields=["resolution", "resolved_at", "resolved_by"])
        AuditEntry.objects.create(
            content_type=ContentType.objects.get_for_model(Discrepancy),
            object_id=discrepancy.pk,
            action="payments.discrepancy.resolved",
            user=by,
            comment=note,
        )
    return discrepancy
