"""Finding one's sign-ups again by phone number, with a one-time code sent to that number.

Nothing tells a visitor whether a number holds sign-ups before its code is verified: a code is
sent to every valid number, whatever it holds, and the answer is the same either way. Codes are
six digits, kept only as keyed hashes, valid for ACTIVITIES_LOOKUP_CODE_TTL, spent by their use
and burnt after ACTIVITIES_LOOKUP_CODE_MAX_ATTEMPTS wrong tries; asking for codes is limited
per number and per client address, and verifying per client address (core.throttle).
"""

import logging
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core.throttle import Throttled, throttle

from .errors import PhoneLookupError
from .models import LookupCode

logger = logging.getLogger(__name__)

# The channel name code senders know (audience.senders: "phone" or "email").
PHONE_CHANNEL = "phone"


def _phone_hash(phone: str) -> str:
    return salted_hmac("activities.lookup-phone", phone, algorithm="sha256").hexdigest()


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("activities.lookup-code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _throttled(scopes: list[str], limits, message) -> None:
    try:
        throttle(scopes, limits)
    except Throttled as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        raise PhoneLookupError(message % {"minutes": minutes}, code="throttled") from None


def code_sender():
    """An instance of the class ACTIVITIES_CODE_SENDER names (its `send(channel=, destination=,
    code=, minutes=)` is the contract of audience.senders; an SMS provider plugs in there)."""
    return import_string(settings.ACTIVITIES_CODE_SENDER)()


def lookup_code_send(*, phone: str, client: str) -> None:
    """Send a new code to `phone` (an earlier one stops working), whatever the number holds.

    Raises PhoneLookupError with code "throttled" (ACTIVITIES_LOOKUP_CODE_IP_LIMITS for `client`,
    ACTIVITIES_LOOKUP_CODE_PHONE_LIMITS for the number) or "delivery" (the sender failed;
    nothing is kept).
    """
    _throttled(
        [f"lookup-ip:{client}"],
        settings.ACTIVITIES_LOOKUP_CODE_IP_LIMITS,
        _("Too many codes requested from your network. Please try again in %(minutes)d minutes."),
    )
    _throttled(
        [f"lookup-phone:{phone}"],
        settings.ACTIVITIES_LOOKUP_CODE_PHONE_LIMITS,
        _(
            "A code was sent to this number a short while ago. "
            "Please try again in %(minutes)d minutes."
        ),
    )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    ttl = settings.ACTIVITIES_LOOKUP_CODE_TTL
    # Codes are of no use after their ten minutes: the table keeps a day of them at most,
    # never the hashed number of every visitor since the start.
    LookupCode.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    # Only the newest code of a number is ever checked (lookup_code_verify), so this one
    # replaces any earlier code.
    lookup = LookupCode.objects.create(
        phone_hash=_phone_hash(phone),
        code_hash=_code_hash(phone, code),
        expires_at=now + ttl,
    )
    try:
        code_sender().send(
            channel=PHONE_CHANNEL,
            destination=phone,
            code=code,
            minutes=int(ttl.total_seconds() // 60),
        )
    except Exception as exc:
        # The exception text may carry the number: only its type goes into the log.
        logger.warning("Look-up code %s could not be sent (%s)", lookup.pk, type(exc).__name__)
        lookup.delete()
        raise PhoneLookupError(
            _("The code could not be sent. Please try again later."), code="delivery"
        ) from exc
    logger.info("Look-up code %s sent", lookup.pk)


def lookup_code_verify(*, phone: str, code: str, client: str) -> None:
    """Check `code` against the last code sent to `phone`; returns when it is right (and spends
    it). Raises PhoneLookupError: "throttled" (ACTIVITIES_LOOKUP_VERIFY_IP_LIMITS for `client`),
    "expired" (none sent, expired, used, or burnt by wrong tries) or "invalid" (wrong code;
    the message says how many tries are left).
    """
    _throttled(
        [f"lookup-verify-ip:{client}"],
        settings.ACTIVITIES_LOOKUP_VERIFY_IP_LIMITS,
        _("Too many attempts from your network. Please try again in %(minutes)d minutes."),
    )
    expired = PhoneLookupError(
        _("This code is no longer valid. Please ask for a new one."), code="expired"
    )
    max_attempts = settings.ACTIVITIES_LOOKUP_CODE_MAX_ATTEMPTS
    with transaction.atomic():
        lookup = (
            LookupCode.objects.select_for_update()
            .filter(phone_hash=_phone_hash(phone), used_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if lookup is None or lookup.expires_at <= timezone.now():
            raise expired
        if lookup.attempts >= max_attempts:
            raise expired
        right = constant_time_compare(lookup.code_hash, _code_hash(phone, code.strip()))
        if right:
            lookup.used_at = timezone.now()
            lookup.save(update_fields=["used_at"])
        else:
            lookup.attempts += 1
            lookup.save(update_fields=["attempts"])
    # Raised after the commit, so the wrong try stays counted.
    if not right:
        left = max_attempts - lookup.attempts
        if left <= 0:
            raise expired
        raise PhoneLookupError(
            _("The code is not right. %(left)d tries left.") % {"left": left}, code="invalid"
        )
