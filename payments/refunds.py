"""Refunds of online gifts, four eyes: the donations officer asks (amount, reason), a second
person with the same permission approves, and only then is WeChat Pay asked. On approval the
gift is reduced by the refund (deleted when refunded in full) through donations.services, so
the project's total and the gift's audit trail follow.

Audit actions: payments.refund.requested, payments.refund.approved, payments.refund.rejected.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import grouped
from donations.models import Gift
from donations.services import gift_delete, gift_save
from editorial.errors import NotAllowedError
from editorial.models import AuditEntry

from .errors import PaymentError, RetryablePaymentError
from .gateway import WeChatPayGateway
from .models import OnlineOrder, OrderState, Refund, RefundState
from .services import GiveError, amount_to_fen

logger = logging.getLogger(__name__)


class RefundError(Exception):
    """A refund that cannot be asked for or decided; the message is for the officer."""


def _may(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and user.has_perm(
        "donations.change_gift"
    )


def _audit(refund: Refund, action: str, by, comment: str) -> None:
    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Refund),
        object_id=refund.pk,
        action=action,
        user=by,
        comment=comment,
    )


def refundable_fen(order: OnlineOrder) -> int:
    taken = order.refunds.exclude(state__in=[RefundState.REJECTED, RefundState.FAILED]).aggregate(
        total=Sum("amount_fen")
    )["total"]
    return order.amount_fen - (taken or 0)


def refund_request(*, order: OnlineOrder, amount: Decimal, reason: str, by) -> Refund:
    """Ask for a refund of a paid online gift. Raises NotAllowedError, RefundError."""
    if not _may(by):
        raise NotAllowedError(_("Only the donations officer may ask for refunds."))
    reason = " ".join(reason.split())
    if not reason:
        raise RefundError(_("Give the reason for the refund."))
    try:
        fen = amount_to_fen(amount)
    except GiveError as exc:
        raise RefundError(exc.message) from exc
    with transaction.atomic():
        order = OnlineOrder.objects.select_for_update().get(pk=order.pk)
        if order.state != OrderState.PAID:
            raise RefundError(_("Only a paid order can be refunded."))
        if fen > refundable_fen(order):
            raise RefundError(
                _("At most ¥%(amount)s of this gift can still be refunded.")
                % {"amount": grouped(Decimal(refundable_fen(order)) / 100)}
            )
        number = order.refunds.count() + 1
        refund = Refund.objects.create(
            order=order,
            out_refund_no=f"R{order.out_trade_no}-{number}",
            amount_fen=fen,
            reason=reason[:80],
            requested_by=by,
        )
        _audit(refund, "payments.refund.requested", by, f"{grouped(refund.amount)}: {reason}")
    return refund


def refund_approve(*, refund: Refund, by, gateway: WeChatPayGateway | None = None) -> Refund:
    """Approve a requested refund (a second person) and send it to WeChat Pay; the gift is
    reduced. Raises NotAllowedError (the requester, or no permission), RefundError (not awaiting
    approval). A refusal by WeChat Pay is stored on the refund (state failed), not raised."""
    if not _may(by):
        raise NotAllowedError(_("Only the donations officer may approve refunds."))
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order").get(pk=refund.pk)
        if refund.requested_by_id == by.pk:
            raise NotAllowedError(
                _("A refund must be approved by someone other than its requester.")
            )
        if refund.state != RefundState.REQUESTED:
            raise RefundError(_("This refund is not awaiting approval."))
        refund.state = RefundState.SENT
        refund.decided_by, refund.decided_at = by, timezone.now()
        refund.save(update_fields=["state", "decided_by", "decided_at"])
        _audit(refund, "payments.refund.approved", by, grouped(refund.amount))
    # Committed before WeChat Pay is asked: an approval is never decided twice.
    return refund_send(refund=refund, gateway=gateway)


def refund_send(*, refund: Refund, gateway: WeChatPayGateway | None = None) -> Refund:
    """Ask WeChat Pay for an approved refund (state sent, no WeChat Pay refund id yet) and,
    once it has answered, store its refund id and reduce the gift, in one transaction.

    Safe to repeat: out_refund_no is WeChat Pay's idempotency key (the same number again gets
    the first answer, never a second refund). So a timeout or an unreachable WeChat Pay, after
    which the refund may or may not have been made, leaves the refund sent with the error, for
    `refunds_resend` to ask again; only a refusal (4xx) marks it failed, which gives its amount
    back to what may still be refunded."""
    gateway = gateway or WeChatPayGateway()
    order = refund.order
    try:
        answer = gateway.refund(
            out_trade_no=order.out_trade_no,
            out_refund_no=refund.out_refund_no,
            refund_fen=refund.amount_fen,
            total_fen=order.amount_fen,
            reason=refund.reason,
            notify_url=settings.WECHATPAY_NOTIFY_URL,
        )
    except RetryablePaymentError as exc:
        logger.warning("Refund %s not confirmed, to be sent again: %s", refund.out_refund_no, exc)
        refund.error = str(exc)[:200]
        Refund.objects.filter(pk=refund.pk, refund_id="").update(error=refund.error)
        return refund
    except PaymentError as exc:
        logger.warning("Refund %s refused: %s", refund.out_refund_no, exc)
        refund.state, refund.error = RefundState.FAILED, str(exc)[:200]
        Refund.objects.filter(pk=refund.pk, refund_id="").update(
            state=refund.state, error=refund.error
        )
        return refund
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order").get(pk=refund.pk)
        if refund.refund_id:
            return refund  # another run took the answer and reduced the gift
        refund.refund_id = str(answer.get("refund_id", ""))[:64] or refund.out_refund_no
        refund.error = ""
        refund.save(update_fields=["refund_id", "error"])
        _reduce_gift(refund.order, refund, refund.decided_by)
    return refund


def refunds_resend(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """The beat's work: send again each approved refund WeChat Pay has not answered (sent, or
    already notified refunded, without its refund id), approved at least `older_than` ago so
    that an approval still waiting for its answer is left alone. Returns how many were sent."""
    due = Refund.objects.filter(
        state__in=[RefundState.SENT, RefundState.REFUNDED],
        refund_id="",
        decided_at__lte=timezone.now() - older_than,
    ).select_related("order", "decided_by")
    count = 0
    for refund in due[:50]:
        refund_send(refund=refund)
        count += 1
    return count


def _reduce_gift(order: OnlineOrder, refund: Refund, by) -> None:
    gift = Gift.objects.filter(pk=order.gift_id).first()
    if gift is None:
        return
    left = gift.amount - refund.amount
    if left <= 0:
        OnlineOrder.objects.filter(pk=order.pk).update(gift=None, state=OrderState.CLOSED)
        gift_delete(gift=gift, by=by)
    else:
        gift.amount = left
        gift_save(gift=gift, by=by)


def refund_reject(*, refund: Refund, by, note: str) -> Refund:
    """Reject a requested refund with a note. Raises NotAllowedError, RefundError."""
    if not _may(by):
        raise NotAllowedError(_("Only the donations officer may approve refunds."))
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != RefundState.REQUESTED:
            raise RefundError(_("This refund is not awaiting approval."))
        refund.state = RefundState.REJECTED
        refund.decided_by, refund.decided_at = by, timezone.now()
        refund.save(update_fields=["state", "decided_by", "decided_at"])
        _audit(refund, "payments.refund.rejected", by, note.strip())
    return refund


def refund_record_result(*, resource: dict) -> Refund | None:
    """Record WeChat Pay's refund result (a verified REFUND.* notification's resource): SUCCESS
    marks the refund refunded; ABNORMAL or CLOSED marks it failed for the officer to follow up.
    A result for another merchant or an unknown refund is ignored (returns None)."""
    if str(resource.get("mchid", "")) != settings.WECHATPAY_MCHID:
        return None
    status = str(resource.get("refund_status", ""))
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update()
            .filter(out_refund_no=str(resource.get("out_refund_no", "")))
            .first()
        )
        if refund is None or refund.state != RefundState.SENT:
            return refund
        if status == "SUCCESS":
            refund.state = RefundState.REFUNDED
        elif status in ("ABNORMAL", "CLOSED"):
            refund.state = RefundState.FAILED
            refund.error = f"WeChat Pay: {status}"
        else:
            return refund
        refund.save(update_fields=["state", "error"])
        _audit(refund, f"payments.refund.{status.lower()}", None, status)
    return refund
