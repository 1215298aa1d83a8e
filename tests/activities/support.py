"""Helpers of the activities tests: a code sender that remembers, mail servers that fail."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

SENT: list[dict] = []


class RecordingSender:
    """A code sender (ACTIVITIES_CODE_SENDER) that keeps what it was asked to send in SENT."""

    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        SENT.append({"channel": channel, "destination": destination, "code": code})


class FailingSender:
    """A code sender whose transport is down."""

    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        raise ConnectionError(f"SMS gateway down while sending to {destination}")


def last_code(phone: str) -> str:
    """The last code RecordingSender sent to `phone`."""
    return [s["code"] for s in SENT if s["destination"] == phone][-1]


class DownMailBackend(BaseEmailBackend):
    """A mail server that cannot be reached (retryable)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingMailBackend(BaseEmailBackend):
    """A mail server that refuses the recipient (final)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")})
