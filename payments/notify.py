"""WeChat Pay's notification endpoint, POST /payments/notify/ (CONTRACT.md §17).

Nothing is recorded before everything is checked: the body's size, the timestamp's freshness
(WECHATPAY_NOTIFY_MAX_AGE), the platform key's signature over the exact body, AES-256-GCM with
the APIv3 key, then (services.check_transaction) the state, merchant, app id, amount and
currency against our order. Answers 204 once recorded (or already recorded: WeChat Pay notifies
the same payment several times); 4xx with {"code": "FAIL"} otherwise, so a genuine
notification we could not take is retried and the beat task's query remains the fallback.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from editorial.errors import InvalidValueError

from .errors import ConfigurationError, NotificationError
from .gateway import Transaction, WeChatPayGateway
from .refunds import refund_record_result
from .services import (
    PaymentMismatchError,
    UnknownOrderError,
    online_giving_enabled,
    order_record_payment,
)

logger = logging.getLogger(__name__)


def _fail(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": "FAIL", "message": message}, status=status)


@csrf_exempt  # WeChat Pay's server posts here; the platform signature is the authentication
@require_POST
def notify(request):
    if not online_giving_enabled():
        return _fail(404, "online giving is off")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > settings.WECHATPAY_NOTIFY_MAX_BYTES:
        return _fail(400, "too large")
    body = request.body  # no more than Content-Length bytes are read
    try:
        notification = WeChatPayGateway().parse_notification(
            headers=request.headers, body=body, max_age=settings.WECHATPAY_NOTIFY_MAX_AGE
        )
    except NotificationError as exc:
        logger.warning("WeChat Pay notification refused: %s", exc)
        return _fail(401, "verification failed")
    except ConfigurationError as exc:
        logger.error("WeChat Pay notification not checked: %s", exc)
        return _fail(500, "not configured")
    if notification.event_type.startswith("REFUND."):
        refund_record_result(resource=notification.resource)
        return HttpResponse(status=204)
    if notification.event_type != "TRANSACTION.SUCCESS":
        logger.info("WeChat Pay notification %s ignored", notification.event_type)
        return HttpResponse(status=204)
    tx = Transaction.from_json(notification.resource)
    try:
        order_record_payment(transaction_data=tx, via="notification")
    except UnknownOrderError:
        logger.error("WeChat Pay notified a payment of an unknown order %s", tx.out_trade_no)
        return _fail(400, "unknown order")
    except PaymentMismatchError as exc:
        logger.error("WeChat Pay notification does not match its order: %s", exc)
        return _fail(400, "does not match the order")
    except InvalidValueError as exc:
        logger.error("Paid order %s could not become a gift: %s", tx.out_trade_no, exc)
        return _fail(500, "not recorded")
    return HttpResponse(status=204)
