"""Delivering binding codes. `AUDIENCE_CODE_SENDER` names the class; an SMS provider plugs in
by writing a class with the same `send` method and pointing the setting at it."""

import sys

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from alumni.models import mask_phone

from .models import Channel


class DefaultCodeSender:
    """E-mail through Django's mail settings; a phone code is printed to the console, which is
    what a developer or a demo needs until an SMS provider is configured."""

    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        """Deliver `code` to `destination`. Raises any exception the transport raises."""
        text = gettext(
            "Your verification code is %(code)s. It is valid for %(minutes)d minutes. "
            "If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": minutes}
        if channel == Channel.EMAIL:
            send_mail(gettext("Alumni record verification code"), text, None, [destination])
            return
        # The console stands in for an SMS gateway; the number is masked even here.
        sys.stdout.write(f"[SMS {mask_phone(destination)}] {text}\n")
        sys.stdout.flush()


def code_sender():
    """An instance of the configured sender class."""
    return import_string(settings.AUDIENCE_CODE_SENDER)()
