"""Finding one's sign-ups again by phone number, with a one-time code sent to that number.

Nothing tells a visitor whether a number holds sign-ups before its code is verified: a code is
sent to every valid number, whatever it holds, and the answer is the same either way. Codes are
six digits, kept only as keyed hashes, valid for ACTIVITIES_LOOKUP_CODE_TTL, spent by their use
and burnt after ACTIVITIES_LOOKUP_CODE_MAX_ATTEMPTS wrong tries (core.onetime); asking for codes
is limited per number and per client address, and verifying per client address (core.throttle).
"""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core.onetime import CodeExpired, CodeNotSent, CodeWrong, OneTimeCodes
from core.throttle import Throttled, throttle

from .errors import PhoneLookupError
from .models import LookupCode

logger = logging.getLogger(__name__)

# The channel name code senders know (audience.senders: "phone" or "email").
PHONE_CHANNEL = "phone"

LOOKUP_CODES = OneTimeCodes(LookupCode, salt="activities.lookup-code", label="Look-up code")


def _phone_hash(phone: str) -> str:
    return salted_hmac("activities.lookup-phone", phone, algorithm="sha256").hexdigest()


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
    # Codes are of no use after their ten minutes: the table keeps a day of them at most,
    # never the hashed number of every visitor since the start.
    LookupCode.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    # Only the newest code of a number is ever checked (lookup_code_verify), so this one
    # replaces any earlier code.
    try:
        lookup = LOOKUP_CODES.send(
            subject=phone,
            ttl=settings.ACTIVITIES_LOOKUP_CODE_TTL,
            sender=code_sender,
            channel=PHONE_CHANNEL,
            destination=phone,
            fields={"phone_hash": _phone_hash(phone)},
        )
    except CodeNotSent as exc:
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
    try:
        LOOKUP_CODES.verify(
            LookupCode.objects.filter(phone_hash=_phone_hash(phone)),
            subject=phone,
            code=code,
            max_attempts=settings.ACTIVITIES_LOOKUP_CODE_MAX_ATTEMPTS,
        )
    except CodeExpired:
        raise PhoneLookupError(
            _("This code is no longer valid. Please ask for a new one."), code="expired"
        ) from None
    except CodeWrong as exc:
        raise PhoneLookupError(
            _("The code is not right. %(left)d tries left.") % {"left": exc.attempts_left},
            code="invalid",
        ) from None
