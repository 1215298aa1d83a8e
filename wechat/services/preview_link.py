"""A staff member links their own WeChat once; push previews go there.

The admin shows a QR code of a one-time link (`preview_link_create`). Opened in WeChat, the
link's page sends the phone through web authorization (snsapi_base), and the openid WeChat
returns becomes the preview recipient of the user who made the link (`preview_link_complete`).

The token is 256 random bits, stored only as its SHA-256, valid for WECHAT_PREVIEW_LINK_TTL,
used at most once, and it links the user it was made for, whoever opens it: someone who has
not seen a person's QR code cannot link a WeChat to their account, and nothing here or in the
admin shows an openid.
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.actors import is_person
from editorial.errors import InvalidValueError, NotAllowedError

from ..models import PreviewLinkToken, PreviewRecipient

logger = logging.getLogger(__name__)

LINK_INVALID = _(
    "This link has expired or has already been used. Show the QR code again in the admin "
    "(it works once, for 10 minutes)."
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def preview_link_create(*, user) -> str:
    """A new one-time token linking `user`'s WeChat (put it in the link, never store it).

    Forgets `user`'s expired and used tokens. Raises NotAllowedError for anyone but a staff
    member."""
    if not (is_person(user) and user.is_active and user.is_staff):
        raise NotAllowedError(_("Only staff members link a WeChat for previews."))
    now = timezone.now()
    PreviewLinkToken.objects.filter(user=user).filter(
        Q(expires_at__lte=now) | Q(used_at__isnull=False)
    ).delete()
    token = secrets.token_urlsafe(32)
    PreviewLinkToken.objects.create(
        user=user,
        digest=_digest(token),
        created_at=now,
        expires_at=now + settings.WECHAT_PREVIEW_LINK_TTL,
    )
    return token


def _valid(token: str):
    if not token or len(token) > 128:
        return PreviewLinkToken.objects.none()
    return PreviewLinkToken.objects.filter(
        digest=_digest(token), used_at__isnull=True, expires_at__gt=timezone.now()
    )


def preview_link_holder(*, token: str):
    """The user a valid (unused, unexpired) token links, or None."""
    link = _valid(token).select_related("user").first()
    return link.user if link and link.user.is_active else None


def preview_link_complete(*, token: str, openid: str) -> PreviewRecipient:
    """Link `openid` (from web authorization) as the preview recipient of the token's user and
    use the token up. Raises InvalidValueError (LINK_INVALID) when the token is unknown,
    expired, already used or its user inactive; of two uses at once only one succeeds."""
    openid = (openid or "").strip()
    with transaction.atomic():
        link = _valid(token).select_for_update().select_related("user").first()
        if link is None or not link.user.is_active or not openid:
            raise InvalidValueError(str(LINK_INVALID))
        now = timezone.now()
        # Judged again by the update itself: a second use that got past the read finds nothing.
        if not _valid(token).filter(pk=link.pk).update(used_at=now):
            raise InvalidValueError(str(LINK_INVALID))
        recipient, _created = PreviewRecipient.objects.update_or_create(
            user=link.user, defaults={"openid": openid[:64], "linked_at": now}
        )
    logger.info("User %s linked a WeChat for push previews", link.user_id)  # never the openid
    return recipient


def preview_recipient(*, user) -> PreviewRecipient | None:
    """`user`'s linked WeChat for previews, or None."""
    if not is_person(user):
        return None
    return PreviewRecipient.objects.filter(user=user).first()


def preview_recipient_unlink(*, user) -> bool:
    """Forget `user`'s linked WeChat (and their unused links); False when none was linked."""
    if not is_person(user):
        return False
    PreviewLinkToken.objects.filter(user=user).delete()
    deleted, _rows = PreviewRecipient.objects.filter(user=user).delete()
    if deleted:
        logger.info("User %s unlinked their WeChat for push previews", user.pk)
    return bool(deleted)
