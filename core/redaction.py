"""Keeping secrets and personal data out of the log.

Our own code names records by primary key and never logs a code, a token or an address. What
it does not write itself still reaches the log: Django's request logger names the path of every
4xx/5xx answer (a sign-up's cancel link carries its secret token in the path), the development
server logs whole request lines (WeChat's callback signature and nonce, the OAuth code, an
admin search for a phone number travel in query strings), and a library's exception text may
quote an e-mail address. RedactFilter, on the log handler (settings.LOGGING), masks all of
these in every record before it is written.
"""

import logging
import re

# A query string after a path: callback signatures, nonces, OAuth codes, admin searches.
_QUERY = re.compile(r"(/[^\s\"'?]*)\?[^\s\"']+")
# The secret part of a sign-up's link (activities:registration and its cancel page).
_REGISTRATION_TOKEN = re.compile(r"(/activities/registration/)[^/\s\"'?]+")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# A mainland mobile number standing alone (not part of a longer number).
_MOBILE = re.compile(r"(?<![\d])(?:\+?86)?(1[3-9]\d)\d{4}(\d{4})(?![\d])")


def redact(text: str) -> str:
    """`text` with query strings, registration tokens, e-mail addresses and mobile numbers
    masked: /path?[…], /activities/registration/***, z***@example.com, 138****0000."""
    text = _QUERY.sub(r"\1?[…]", text)
    text = _REGISTRATION_TOKEN.sub(r"\1***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class RedactFilter(logging.Filter):
    """A handler filter that writes every record's message (and traceback) masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
