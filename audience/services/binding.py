"""Binding a follower (known by the openid web authorization gave us) to an alumni record.

The alumnus proves the record is theirs with a one-time code sent to the phone or e-mail the
office has on it; the office can also bind and unbind by hand, and turn a follower's request
for a new record into one. Personal data never goes into the log: records and followers are
named by their primary keys.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alumni.models import Alumnus
from core.onetime import CodeExpired, CodeNotSent, CodeWrong, OneTimeCodes
from core.throttle import Throttled, throttle
from wechat.errors import WeChatError
from wechat.gateway import WeChatGateway

from ..errors import (
    AlreadyBoundError,
    CodeDeliveryError,
    CodeExpiredError,
    CodeInvalidError,
    NoDestinationError,
    RateLimitedError,
    RecordDeletedError,
)
from ..models import BindingCode, Channel, Follower, ProfileChange, RecordRequest
from ..senders import code_sender
from .followers import _from_timestamp

logger = logging.getLogger(__name__)

CANDIDATES_MAX = 5
BINDING_FIELD = "wechat"

# A code is tied to the follower's openid: one sent to another follower is no code here.
BINDING_CODES = OneTimeCodes(BindingCode, salt="audience.binding-code", label="Binding code")


def binding_candidates(
    *, name: str, class_year: int, follower: Follower | None = None
) -> list[Alumnus]:
    """Records with exactly this name and class year that are neither deleted nor bound.

    A `follower` looking records up is held to AUDIENCE_LOOKUP_RATE_LIMITS (the answer shows
    masked contact details); raises RateLimitedError beyond them.
    """
    if follower is not None:
        _rate_limit(
            [f"lookup:{follower.pk}"],
            settings.AUDIENCE_LOOKUP_RATE_LIMITS,
            _("Too many look-ups. Please wait a while and try again."),
        )
    return list(
        Alumnus.objects.active()
        .filter(name=name.strip(), class_year=class_year, follower__isnull=True)
        .order_by("pk")[:CANDIDATES_MAX]
    )


def follower_for_openid(*, openid: str, gateway: WeChatGateway | None = None) -> Follower:
    """The follower row of an openid learnt through web authorization.

    One the sync has not seen yet is created with what user/info says about it (not following
    when WeChat cannot be asked now; the next sync corrects that).
    """
    follower = Follower.objects.filter(openid=openid).first()
    if follower is not None:
        return follower
    defaults = {}
    try:
        infos = (gateway or WeChatGateway()).users_info([openid])
    except WeChatError as exc:
        logger.info("user/info for a new follower failed (%s); the sync will fill it in", exc)
        infos = []
    if infos:
        info = infos[0]
        defaults = {
            "subscribed": info.subscribed,
            "subscribe_time": _from_timestamp(info.subscribe_time),
            "unionid": info.unionid[:64],
            "language": info.language[:16],
            "tag_ids": list(info.tag_ids),
            "synced_at": timezone.now(),
        }
    follower, _created = Follower.objects.get_or_create(openid=openid, defaults=defaults)
    return follower


def _rate_limit(scopes: list[str], limits: list[tuple[int, int]], message=None) -> None:
    """Count one request against each scope; raises RateLimitedError when any is spent.

    The count is atomic (core.throttle): of many requests at once, only as many as the
    limit allows get through.
    """
    try:
        throttle([f"audience:{scope}" for scope in scopes], limits)
    except Throttled as exc:
        raise RateLimitedError(message, retry_after=exc.retry_after) from None


def binding_code_send(*, follower: Follower, alumnus: Alumnus, channel: str) -> BindingCode:
    """Send a one-time code to the phone or e-mail on the record; earlier codes stop working.

    Raises RecordDeletedError, AlreadyBoundError (another follower holds the record),
    NoDestinationError (no phone/e-mail on the record), RateLimitedError (AUDIENCE_CODE_RATE_LIMITS
    per follower and per record) or CodeDeliveryError (the sender failed; nothing is kept).
    """
    if alumnus.deleted_at is not None:
        raise RecordDeletedError
    if Follower.objects.filter(alumnus=alumnus).exclude(pk=follower.pk).exists():
        raise AlreadyBoundError
    destination = alumnus.phone if channel == Channel.PHONE else alumnus.email
    if channel not in Channel.values or not destination:
        raise NoDestinationError
    _rate_limit(
        [f"code-follower:{follower.pk}", f"code-alumnus:{alumnus.pk}"],
        settings.AUDIENCE_CODE_RATE_LIMITS,
    )
    BindingCode.objects.filter(follower=follower, used_at__isnull=True).update(
        expires_at=timezone.now()
    )
    try:
        binding = BINDING_CODES.send(
            subject=follower.openid,
            ttl=settings.AUDIENCE_CODE_TTL,
            sender=code_sender,
            channel=channel,
            destination=destination,
            fields={"follower": follower, "alumnus": alumnus, "channel": channel},
        )
    except CodeNotSent as exc:
        raise CodeDeliveryError from exc
    logger.info("Binding code %s sent by %s for alumnus %s", binding.pk, channel, alumnus.pk)
    return binding


def binding_code_verify(*, follower: Follower, code: str) -> Follower:
    """Check `code` against the last code sent to this follower; when right, bind the follower
    to that record and return it.

    Raises CodeInvalidError (wrong code; `attempts_left`), CodeExpiredError (none sent, expired,
    or AUDIENCE_CODE_MAX_ATTEMPTS wrong tries), AlreadyBoundError or RecordDeletedError.
    """
    try:
        return BINDING_CODES.verify(
            BindingCode.objects.filter(follower=follower),
            subject=follower.openid,
            code=code,
            max_attempts=settings.AUDIENCE_CODE_MAX_ATTEMPTS,
            on_right=lambda binding: follower_bind(follower=follower, alumnus=binding.alumnus),
        )
    except CodeExpired:
        raise CodeExpiredError from None
    except CodeWrong as exc:
        raise CodeInvalidError(attempts_left=exc.attempts_left) from None


def follower_bind(*, follower: Follower, alumnus: Alumnus, by=None) -> Follower:
    """Bind the follower to the record and mirror the openid on `Alumnus.wechat_openid`.

    A follower bound to another record moves. `by` is the office user binding by hand (None:
    the alumnus, through a code). Raises AlreadyBoundError (another follower holds the record)
    or RecordDeletedError.
    """
    with transaction.atomic():
        alumnus = Alumnus.objects.select_for_update().get(pk=alumnus.pk)
        follower = Follower.objects.select_for_update().get(pk=follower.pk)
        if alumnus.deleted_at is not None:
            raise RecordDeletedError
        if Follower.objects.filter(alumnus=alumnus).exclude(pk=follower.pk).exists():
            raise AlreadyBoundError
        if follower.alumnus_id == alumnus.pk:
            return follower
        previous = follower.alumnus_id
        Alumnus.objects.filter(wechat_openid=follower.openid).exclude(pk=alumnus.pk).update(
            wechat_openid=None
        )
        follower.alumnus = alumnus
        follower.bound_at = timezone.now()
        follower.save(update_fields=["alumnus", "bound_at"])
        alumnus.wechat_openid = follower.openid
        alumnus.save(update_fields=["wechat_openid", "updated_at"])
        ProfileChange.objects.create(
            alumnus=alumnus,
            follower=None if by else follower,
            user=by,
            field=BINDING_FIELD,
            old_value="",
            new_value="bound",
        )
        if previous:
            ProfileChange.objects.create(
                alumnus_id=previous, user=by, field=BINDING_FIELD, new_value="unbound"
            )
    logger.info("Follower %s bound to alumnus %s", follower.pk, alumnus.pk)
    return follower


def follower_unbind(*, follower: Follower, by=None) -> Follower:
    """Undo a binding (idempotent); `by` is the office user, None for the alumnus."""
    with transaction.atomic():
        follower = Follower.objects.select_for_update().get(pk=follower.pk)
        alumnus_id = follower.alumnus_id
        if alumnus_id is None:
            return follower
        follower.alumnus = None
        follower.bound_at = None
        follower.save(update_fields=["alumnus", "bound_at"])
        Alumnus.objects.filter(pk=alumnus_id, wechat_openid=follower.openid).update(
            wechat_openid=None
        )
        ProfileChange.objects.create(
            alumnus_id=alumnus_id,
            follower=None if by else follower,
            user=by,
            field=BINDING_FIELD,
            old_value="bound",
            new_value="unbound",
        )
    logger.info("Follower %s unbound from alumnus %s", follower.pk, alumnus_id)
    return follower


def record_request_create(
    *,
    follower: Follower,
    name: str,
    class_year: int,
    college: str = "",
    major: str = "",
    phone: str = "",
    email: str = "",
    note: str = "",
) -> RecordRequest:
    """Ask the office to create a record for this follower (the office binds it when done).

    Raises RateLimitedError beyond AUDIENCE_REQUEST_RATE_LIMITS per follower.
    """
    _rate_limit(
        [f"request-follower:{follower.pk}"],
        settings.AUDIENCE_REQUEST_RATE_LIMITS,
        _("You have sent several requests already. The office will answer them; please wait."),
    )
    request = RecordRequest.objects.create(
        follower=follower,
        name=name.strip(),
        class_year=class_year,
        college=college.strip(),
        major=major.strip(),
        phone=phone.strip(),
        email=email.strip(),
        note=note.strip(),
    )
    logger.info("Follower %s asked for a record (request %s)", follower.pk, request.pk)
    return request


def record_request_fulfil(*, request: RecordRequest, by) -> Alumnus:
    """Create the alumni record a follower asked for and bind the follower to it.

    Returns the record (the existing one when the request was already handled).
    """
    with transaction.atomic():
        request = RecordRequest.objects.select_for_update().get(pk=request.pk)
        if request.alumnus_id is not None:
            return request.alumnus
        alumnus = Alumnus.objects.create(
            name=request.name,
            class_year=request.class_year,
            college=request.college,
            major=request.major,
            phone=request.phone,
            email=request.email,
        )
        request.alumnus = alumnus
        request.handled_at = timezone.now()
        request.handled_by = by
        request.save(update_fields=["alumnus", "handled_at", "handled_by"])
        follower = request.follower
        if follower.alumnus_id is None:
            follower_bind(follower=follower, alumnus=alumnus, by=by)
    return alumnus
