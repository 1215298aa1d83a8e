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
# A mainland mobile number standing alone (not part of a longer number), also written in
# groups ("138 0013 8000", "138-0013-8000").
_MOBILE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(1[3-9]\d)\d{4}(\d{4})(?![\d])")
_MOBILE_GROUPED = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(1[3-9]\d)[ -]\d{4}[ -](\d{4})(?![\d])")
# A mainland identity card number (18 characters, the last a digit or X).
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}\d{3}[\dXx](?![\dA-Za-z])")
# Secrets written as key=value or "key": "value" outside a query string (a library's error text,
# a dict in a message): WeChat's access token and secret, OAuth codes, passwords, binding codes.
_SECRET_NAMES = (
    r"access_token|refresh_token|token|secret|appsecret|app_secret|password|passwd|code|"
    r"binding_code|signature|msg_signature|nonce|api_key|dsn|authorization"
)
_SECRET_PAIR = re.compile(
    rf"""(?i)(\b(?:{_SECRET_NAMES})["']?\s*[=:]\s*["']?)(?:Bearer\s+)?[^\s"'&,;}}]+"""
)
# A binding code in the text that delivers it (audience.senders), in English or Chinese.
_CODE_TEXT = re.compile(r"(?i)(verification code is |验证码[是为：:\s]*)\d{4,8}")


def redact(text: str) -> str:
    """`text` with query strings, registration tokens, e-mail addresses, mobile numbers, identity
    card numbers, binding codes and secrets written as key=value masked: /path?[…],
    /activities/registration/***, z***@example.com, 138****0000, 110101********,
    access_token=***."""
    text = _QUERY.sub(r"\1?[…]", text)
    text = _REGISTRATION_TOKEN.sub(r"\1***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _SECRET_PAIR.sub(r"\1***", text)
    text = _CODE_TEXT.sub(r"\1***", text)
    text = _ID_CARD.sub(r"\1********", text)
    text = _MOBILE_GROUPED.sub(r"\1****\2", text)
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
