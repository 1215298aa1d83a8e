"""Online giving: making an order at WeChat Pay, and recording a paid one as a Gift exactly once.

Exactly once: whatever tells us an order was paid (the notification, a retried or duplicated
one, the beat task's query when the notification is late or lost), `order_record_payment`
takes the order's row lock, returns at once when the order already has its gift, and otherwise
checks the transaction against the order (state, merchant, app id, amount to the fen, currency)
before it records the gift and links it in the same transaction. `OnlineOrder.gift` is unique,
so even a second writer that slipped past the lock could not link a second gift.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core import attribution
from donations.models import DonationProject
from donations.services import gift_record_online
from editorial.errors import InvalidValueError

from .errors import OrderNotFoundError, PaymentError, RetryablePaymentError
from .gateway import Transaction, WeChatPayGateway
from .models import OnlineOrder, OrderState, TradeType
from .signals import gift_paid

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


class GiveError(Exception):
    """A donor's order that cannot be made; `message` is for the donor (zh-hans)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PaymentMismatchError(Exception):
    """A transaction that does not match its order (amount, merchant, app id, state)."""


class UnknownOrderError(Exception):
    """A transaction for an order number we never made."""


@dataclass(frozen=True)
class Donation:
    project: DonationProject
    amount: Decimal
    donor_name: str
    anonymous: bool
    message: str
    email: str = ""
    show_amount: bool = True


def new_out_trade_no() -> str:
    """G + date + 16 random characters: unique, and not guessable from another donor's."""
    return f"G{timezone.localdate():%Y%m%d}{secrets.token_hex(8).upper()}"


def amount_to_fen(amount: Decimal) -> int:
    """Raises GiveError outside ¥0.01 – DONATIONS_GIFT_MAX_AMOUNT or with more than two places."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise GiveError(_("Please enter an amount in yuan, e.g. 100 or 88.88."))
    if amount < CENT:
        raise GiveError(_("A gift must be more than ¥0."))
    if amount > settings.DONATIONS_GIFT_MAX_AMOUNT:
        raise GiveError(
            _("Online gifts are at most ¥%(max)s; please contact the office for a larger gift.")
            % {"max": f"{settings.DONATIONS_GIFT_MAX_AMOUNT:,.2f}"}
        )
    # Compared only now: within the bounds, quantizing cannot overflow.
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise GiveError(_("An amount has at most two decimal places (fen)."))
    return int(amount * 100)


def clean_source(value: str) -> str:
    """A give link's ?src= as stored: "push:<id>" or "qr:<scene>" (core.attribution), else
    empty: junk is dropped silently."""
    return attribution.clean_source(value)


def online_giving_enabled() -> bool:
    return bool(settings.WECHATPAY_MCHID)


def order_create(
    *,
    donation: Donation,
    openid: str = "",
    source: str = "",
    gateway: WeChatPayGateway | None = None,
) -> OnlineOrder:
    """Make an order at WeChat Pay: JSAPI for a reader in WeChat (`openid`), Native otherwise.

    The row is saved (and committed) before WeChat Pay is asked, so a payment for it can always
    be matched. Raises GiveError with a message for the donor.
    """
    if not online_giving_enabled():
        raise GiveError(_("Online giving is not available at the moment."))
    fen = amount_to_fen(donation.amount)
    order = OnlineOrder.objects.create(
        out_trade_no=new_out_trade_no(),
        project=donation.project,
        amount_fen=fen,
        donor_name=donation.donor_name.strip(),
        anonymous=donation.anonymous,
        message=donation.message.strip(),
        email=donation.email.strip(),
        show_amount=donation.show_amount,
        openid=openid,
        source=clean_source(source),
        trade_type=TradeType.JSAPI if openid else TradeType.NATIVE,
        # Queried later even if this process dies before WeChat Pay answers.
        next_query_at=timezone.now() + settings.WECHATPAY_QUERY_AFTER,
    )
    gateway = gateway or WeChatPayGateway()
    # What the payer's WeChat Pay sheet and the trade bill show: the site's name as its pages show
    # it (SITE_NAME unset: 校友会, in the site's language whatever the donor's), then the project.
    with translation.override(settings.LANGUAGE_CODE):
        site_name = settings.SITE_NAME or _("Alumni Association")
    description = _truncate(f"{site_name}-{donation.project.title}", 40)
    expire = order.created_at + settings.WECHATPAY_ORDER_TTL
    try:
        if openid:
            order.prepay_id = gateway.jsapi_order(
                out_trade_no=order.out_trade_no,
                description=description,
                amount_fen=fen,
                openid=openid,
                notify_url=settings.WECHATPAY_NOTIFY_URL,
                time_expire=timezone.localtime(expire),
            )
        else:
            order.code_url = gateway.native_order(
                out_trade_no=order.out_trade_no,
                description=description,
                amount_fen=fen,
                notify_url=settings.WECHATPAY_NOTIFY_URL,
                time_expire=timezone.localtime(expire),
            )
    except PaymentError as exc:
        logger.warning("WeChat Pay refused order %s: %s", order.out_trade_no, exc)
        order.state = OrderState.FAILED
        order.last_error = str(exc)[:200]
        order.save(update_fields=["state", "last_error"])
        raise GiveError(str(exc.user_message)) from exc
    order.save(update_fields=["prepay_id", "code_url"])
    return order


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def check_transaction(order: OnlineOrder, tx: Transaction) -> None:
    """Raises PaymentMismatchError unless `tx` is a successful payment of exactly `order`."""
    problems = []
    if tx.trade_state != "SUCCESS":
        problems.append(f"trade_state {tx.trade_state}")
    if tx.mchid != settings.WECHATPAY_MCHID:
        problems.append(f"mchid {tx.mchid}")
    if tx.appid != settings.WECHATPAY_APPID:
        problems.append(f"appid {tx.appid}")
    if tx.total_fen != order.amount_fen:
        problems.append(f"amount {tx.total_fen} fen, ordered {order.amount_fen}")
    if tx.currency not in ("", "CNY"):
        problems.append(f"currency {tx.currency}")
    if not tx.transaction_id:
        problems.append("no transaction_id")
    if problems:
        raise PaymentMismatchError(f"{order.out_trade_no}: {', '.join(problems)}")


def order_record_payment(*, transaction_data: Transaction, via: str) -> OnlineOrder:
    """Record the payment `transaction_data` reports (from a verified notification or a query)
    as the order's Gift, once. A second call for a paid order changes nothing.

    Raises UnknownOrderError, PaymentMismatchError (nothing recorded), InvalidValueError.
    """
    tx = transaction_data
    try:
        with transaction.atomic():
            order = (
                OnlineOrder.objects.select_for_update()
                .select_related("project")
                .filter(out_trade_no=tx.out_trade_no)
                .first()
            )
            if order is None:
                raise UnknownOrderError(tx.out_trade_no)
            if order.gift_id is not None:
                return order
            check_transaction(order, tx)
            paid_at = parse_datetime(tx.success_time) if tx.success_time else None
            paid_at = paid_at or timezone.now()
            gift = gift_record_online(
                project=order.project,
                amount=order.amount,
                donor_name=order.donor_name or _("Anonymous donor"),
                anonymous=order.anonymous or not order.donor_name,
                # Anyone can pay a fen: a donor's message reaches the public donor wall only
                # when the office says so (it stays on the order for the officer to copy).
                message=order.message if settings.PAYMENTS_PUBLISH_MESSAGES else "",
                donated_on=timezone.localdate(paid_at),
                reference=f"WeChat Pay {tx.transaction_id} ({order.out_trade_no}, {via})",
            )
            changes = {
                "gift": gift,
                "state": OrderState.PAID,
                "transaction_id": tx.transaction_id,
                "paid_at": paid_at,
                "paid_via": via,
                "openid": order.openid or tx.openid[:64],
                "next_query_at": None,
            }
            # Linked only if still unlinked, judged when the row is written: where the lock
            # above is not a real one (SQLite), a second writer finds 0 rows and rolls its
            # gift back instead of replacing the first.
            linked = OnlineOrder.objects.filter(pk=order.pk, gift__isnull=True).update(**changes)
            if not linked:
                raise _AlreadyRecorded
    except _AlreadyRecorded:
        return OnlineOrder.objects.get(pk=order.pk)
    for name, value in changes.items():
        setattr(order, name, value)
    # Only the call that linked the gift announces it, after the commit (robust: a thank-you
    # that cannot be made never touches the recorded gift).
    transaction.on_commit(lambda: gift_paid_send(order_id=order.pk), robust=True)
    return order


def gift_paid_send(*, order_id: int) -> None:
    gift_paid.send_robust(sender=OnlineOrder, order_id=order_id)


class _AlreadyRecorded(Exception):
    pass


def orders_due_for_query(*, limit: int = 50) -> list[int]:
    """Claim up to `limit` unpaid orders whose notification is late (skipping rows another
    worker holds) and push their next query back; returns their ids."""
    now = timezone.now()
    with transaction.atomic():
        orders = list(
            OnlineOrder.objects.select_for_update(skip_locked=True)
            .filter(state=OrderState.PENDING, next_query_at__lte=now)
            .order_by("next_query_at")[:limit]
        )
        for order in orders:
            order.query_count += 1
            # 1, 2, 4 … minutes, at most 30: a lost notification is found within a minute or
            # two, an abandoned order costs a few queries until it is closed.
            backoff = min(60 * 2 ** min(order.query_count - 1, 5), 1800)
            order.next_query_at = now + timedelta(seconds=backoff)
            order.save(update_fields=["query_count", "next_query_at"])
    return [order.pk for order in orders]


def order_query(*, order_id: int, gateway: WeChatPayGateway | None = None) -> OnlineOrder:
    """Ask WeChat Pay about one unpaid order: record it when paid, close it when WeChat Pay
    closed it or it is older than WECHATPAY_ORDER_TTL. Raises RetryablePaymentError."""
    gateway = gateway or WeChatPayGateway()
    order = OnlineOrder.objects.get(pk=order_id)
    if order.state != OrderState.PENDING:
        return order
    try:
        tx = gateway.query_order(order.out_trade_no)
    except OrderNotFoundError:
        tx = None
    if tx is not None and tx.trade_state in ("SUCCESS", "REFUND"):
        try:
            return order_record_payment(transaction_data=tx, via="query")
        except PaymentMismatchError as exc:
            # Never recorded, and not asked about again (it would be every 30 minutes for
            # ever): the day's reconciliation lists it as missing for the donations officer.
            logger.error("Queried payment does not match order %s", order.out_trade_no)
            OnlineOrder.objects.filter(pk=order.pk, state=OrderState.PENDING).update(
                next_query_at=None, last_error=str(exc)[:200]
            )
            raise
    expired = timezone.now() >= order.created_at + settings.WECHATPAY_ORDER_TTL
    if tx is not None and tx.trade_state in ("CLOSED", "REVOKED", "PAYERROR"):
        _mark_closed(order)
    elif expired:
        if tx is not None:
            gateway.close_order(order.out_trade_no)
        _mark_closed(order)
    return order


def _mark_closed(order: OnlineOrder) -> None:
    OnlineOrder.objects.filter(pk=order.pk, state=OrderState.PENDING).update(
        state=OrderState.CLOSED, next_query_at=None
    )
    order.refresh_from_db()


def orders_query_late(*, gateway: WeChatPayGateway | None = None) -> int:
    """Query every order whose notification is late; returns how many were asked about."""
    gateway = gateway or WeChatPayGateway()
    ids = orders_due_for_query()
    for order_id in ids:
        try:
            order_query(order_id=order_id, gateway=gateway)
        except RetryablePaymentError as exc:
            logger.warning("Query of order #%s failed, retried later: %s", order_id, exc)
        except (PaymentError, PaymentMismatchError, InvalidValueError) as exc:
            logger.error("Query of order #%s: %s", order_id, exc)
    return len(ids)
