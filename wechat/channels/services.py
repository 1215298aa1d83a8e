"""Channel QR codes: issuing a code for a channel, and attributing scans to it."""

import logging
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..gateway import QR_EXPIRE_MAX_SECONDS, WeChatGateway
from ..models import CallbackEvent
from .models import Channel, ChannelScan
from .signals import channel_scanned

logger = logging.getLogger(__name__)

SCAN = "SCAN"
SUBSCRIBE_PREFIX = "qrscene_"


class ChannelError(Exception):
    """A channel's code cannot be issued as asked; the message is for the office (zh-hans)."""


def channel_scene_new(*, kind: str) -> str:
    """A fresh scene string for a channel of `kind`: short, unguessable, unique in practice."""
    return f"{kind}-{secrets.token_urlsafe(6)}"


def channel_code_issue(*, channel: Channel, gateway: WeChatGateway | None = None) -> Channel:
    """Ask WeChat for the channel's QR code (a new ticket for its scene) and store the answer.

    A permanent channel gets a permanent code; a temporary one a code for `expire_days` days.
    Raises ChannelError (days out of range) and the gateway's wechat.errors (a temporary
    failure: RetryableError; the account's permanent codes used up: InvalidRequestError).
    """
    expire_seconds = None
    if not channel.permanent:
        days = channel.expire_days or 0
        if not 1 <= days * 86400 <= QR_EXPIRE_MAX_SECONDS:
            raise ChannelError(_("A temporary QR code is valid for 1 to 30 days."))
        expire_seconds = days * 86400
    code = (gateway or WeChatGateway()).qrcode_create(
        scene=channel.scene, expire_seconds=expire_seconds
    )
    channel.ticket, channel.url = code.ticket, code.url
    channel.expires_at = (
        None
        if code.expire_seconds is None
        else timezone.now() + timedelta(seconds=code.expire_seconds)
    )
    channel.save(update_fields=["ticket", "url", "expires_at"])
    logger.info("Issued the QR code of channel %s (permanent: %s)", channel.pk, channel.permanent)
    return channel


def scene_of(event: CallbackEvent) -> tuple[str, bool] | None:
    """(scene, new follower) of a QR-code callback: `subscribe` with EventKey
    `qrscene_<scene>` (someone followed through the code) or `SCAN` with EventKey `<scene>`
    (a follower scanned it); None for any other event."""
    key = str((event.payload or {}).get("event_key", ""))
    if event.event == CallbackEvent.SUBSCRIBE and key.startswith(SUBSCRIBE_PREFIX):
        return key[len(SUBSCRIBE_PREFIX) :], True
    if event.event == SCAN and key:
        return key, False
    return None


def channel_scan_record(*, event: CallbackEvent) -> ChannelScan | None:
    """Attribute a QR-code callback to its channel: one ChannelScan per callback event (a
    second run finds it and records nothing). None for another event or an unknown scene
    (a code made in WeChat's own backend). Announces `channel_scanned` after the commit."""
    found = scene_of(event)
    if found is None:
        return None
    scene, new_follower = found
    channel = Channel.objects.filter(scene=scene).first()
    if channel is None:
        logger.info("A QR-code scan for an unknown scene (%d characters)", len(scene))
        return None
    try:
        with transaction.atomic():
            scan = ChannelScan.objects.create(
                channel=channel,
                event=event,
                openid=event.from_user,
                new_follower=new_follower,
                scanned_at=event.sent_at,
            )
            if event.event == SCAN:
                event.mark_processed()  # the subscribe event is the follower table's to mark
    except IntegrityError:
        return None  # this callback was attributed already

    def announce():
        channel_scanned.send_robust(
            sender=Channel,
            channel_id=channel.pk,
            scan_id=scan.pk,
            openid=scan.openid,
            new_follower=new_follower,
            content_type_id=channel.content_type_id,
            object_id=channel.object_id,
        )

    transaction.on_commit(announce)
    return scan
