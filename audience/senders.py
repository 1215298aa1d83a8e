"""Delivering binding codes. `AUDIENCE_CODE_SENDER` names the class; an SMS provider plugs in
by writing a class with the same `send` method and pointing the setting at it."""

import sys

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from alumni.models import mask_phone

from .models import Channel

CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"


class NoTransportError(RuntimeError):
    """Outside DEBUG there is nowhere safe to deliver a code: no SMS provider, or e-mail that
    would only be printed to the console (which is the log)."""


class DefaultCodeSender:
    """E-mail through Django's mail settings. Under DEBUG a phone code is printed to the console,
    which is what a developer or a demo needs until an SMS provider is configured; outside DEBUG
    nothing is ever printed (the console is the server's log), and a code that could only go
    there is refused with NoTransportError."""

    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        """Deliver `code` to `destination`. Raises NoTransportError, or any exception the
        transport raises."""
        console_email = settings.EMAIL_BACKEND == CONSOLE_EMAIL_BACKEND
        if not settings.DEBUG and (channel != Channel.EMAIL or console_email):
            raise NoTransportError(
                "no SMS provider (AUDIENCE_CODE_SENDER)"
                if channel != Channel.EMAIL
                else "e-mail goes to the console (EMAIL_URL)"
            )
        text = gettext(
            "Your verification code is %(code)s. It is valid for %(minutes)d minutes. "
            "If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": minutes}
        if channel == Channel.EMAIL:
            send_mail(gettext("Alumni record verification code"), text, None, [destination])
            return
        # DEBUG only: the console stands in for an SMS gateway; the number is masked even here.
        sys.stdout.write(f"[SMS {mask_phone(destination)}] {text}\n")
        sys.stdout.flush()


def code_sender():
    """An instance of the configured sender class."""
    return import_string(settings.AUDIENCE_CODE_SENDER)()
