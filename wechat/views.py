"""The endpoint WeChat pushes events to (CONTRACT.md §10)."""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import gateway
from .callbacks import callback_event_record, callback_xml
from .errors import CallbackPayloadError, CallbackSignatureError

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request):
    """GET: URL verification (echo `echostr`). POST: store the pushed event, answer "success".

    403 for a wrong signature or msg_signature; 400 for a body that is too large, not XML,
    carries a DOCTYPE/ENTITY declaration or cannot be decrypted. A retried event is
    answered "success" again without being stored or announced twice.
    """
    params = request.GET
    if not gateway.callback_signature_valid(
        signature=params.get("signature", ""),
        timestamp=params.get("timestamp", ""),
        nonce=params.get("nonce", ""),
    ):
        return HttpResponseForbidden("invalid signature", content_type="text/plain")
    if request.method == "GET":
        return HttpResponse(params.get("echostr", ""), content_type="text/plain")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.WECHAT_CALLBACK_MAX_BYTES:
        return HttpResponseBadRequest("body too large", content_type="text/plain")
    body = request.body
    if len(body) > settings.WECHAT_CALLBACK_MAX_BYTES:
        return HttpResponseBadRequest("body too large", content_type="text/plain")
    try:
        xml = callback_xml(
            body=body,
            encrypt_type=params.get("encrypt_type", ""),
            msg_signature=params.get("msg_signature", ""),
            timestamp=params.get("timestamp", ""),
            nonce=params.get("nonce", ""),
        )
        callback_event_record(xml=xml)
    except CallbackSignatureError:
        return HttpResponseForbidden("invalid msg_signature", content_type="text/plain")
    except CallbackPayloadError as exc:
        logger.warning("Refused a WeChat callback: %s", exc)
        return HttpResponseBadRequest("malformed callback", content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")
