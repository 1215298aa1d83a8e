"""The endpoint WeChat pushes events to (CONTRACT.md §10; the checks in wechat/callbacks.py).

Nothing here logs the query string: `signature`, `msg_signature`, `nonce` and `echostr` would
let whoever reads the logs replay or answer for WeChat.
"""

import logging
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import gateway
from .callbacks import (
    callback_replay_claim,
    callback_timestamp_fresh,
    callback_token_problem,
    callback_xml,
)
from .errors import CallbackPayloadError, CallbackSignatureError
from .inbox import callback_process
from .replies import reply_xml

logger = logging.getLogger(__name__)


def _forbidden(reason: str) -> HttpResponseForbidden:
    return HttpResponseForbidden(reason, content_type="text/plain")


def _bad_request(reason: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(reason, content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request):
    """GET: URL verification (echo `echostr`). POST: store the pushed event or message and
    answer with its automatic reply (wechat.replies), or "success" when there is none.

    403 when the configured token cannot be trusted (empty, or the emulator's outside DEBUG),
    for a wrong signature or msg_signature, a timestamp outside WECHAT_CALLBACK_MAX_AGE, a
    signature replayed with another body, or a plaintext body in safe mode. 400 for a body that
    is too large, not XML, carries a DTD, is nested too deep or has out-of-range fields, or
    cannot be decrypted. A retried event is answered "success" again without being stored or
    announced twice.
    """
    if callback_token_problem():
        return _forbidden("callbacks are disabled: no usable token")
    params = request.GET
    signature = params.get("signature", "")
    timestamp = params.get("timestamp", "")
    nonce = params.get("nonce", "")
    if not gateway.callback_signature_valid(signature=signature, timestamp=timestamp, nonce=nonce):
        return _forbidden("invalid signature")
    if not callback_timestamp_fresh(timestamp):
        logger.warning("Refused a WeChat callback: timestamp outside the accepted window")
        return _forbidden("stale timestamp")
    if request.method == "GET":
        echostr = params.get("echostr", "")
        if not callback_replay_claim(
            timestamp=timestamp,
            nonce=nonce,
            signature=signature,
            content=b"GET " + echostr.encode(),
        ):
            return _forbidden("replayed signature")
        return HttpResponse(echostr, content_type="text/plain")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.WECHAT_CALLBACK_MAX_BYTES:
        return _bad_request("body too large")
    body = request.body
    if len(body) > settings.WECHAT_CALLBACK_MAX_BYTES:
        return _bad_request("body too large")
    if not callback_replay_claim(
        timestamp=timestamp, nonce=nonce, signature=signature, content=b"POST " + body
    ):
        logger.warning("Refused a WeChat callback: a used signature with another body")
        return _forbidden("replayed signature")
    try:
        xml = callback_xml(
            body=body,
            encrypt_type=params.get("encrypt_type", ""),
            msg_signature=params.get("msg_signature", ""),
            timestamp=timestamp,
            nonce=nonce,
        )
        processed = callback_process(xml=xml)
    except CallbackSignatureError as exc:
        logger.warning("Refused a WeChat callback: %s", exc)
        return _forbidden("invalid msg_signature or plaintext in safe mode")
    except CallbackPayloadError as exc:
        logger.warning("Refused a WeChat callback: %s", exc)
        return _bad_request("malformed callback")
    if processed.reply is None:
        return HttpResponse("success", content_type="text/plain")
    return _passive_reply(processed, nonce=nonce, safe=params.get("encrypt_type", "") == "aes")


def _passive_reply(processed, *, nonce: str, safe: bool) -> HttpResponse:
    """The automatic reply as the HTTP answer (CONTRACT.md §13), encrypted in safe mode."""
    now = int(time.time())
    xml = reply_xml(
        processed.reply, to_user=processed.to_user, from_user=processed.from_user, create_time=now
    )
    if safe:
        xml = gateway.reply_encrypt(xml=xml, nonce=nonce, timestamp=str(now))
    return HttpResponse(xml, content_type="text/xml; charset=utf-8")
