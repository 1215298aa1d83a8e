"""One-time codes sent to a phone or an e-mail address, to prove the person holds it.

activities.lookup (a number's sign-ups) and audience.services.binding (an alumni record's
follower) use them. Each purpose keeps its codes in a model of its own with the fields
`code_hash`, `attempts`, `created_at`, `expires_at` and `used_at`, and describes itself once:
`OneTimeCodes(model, salt=..., label=...)`. The `subject` is what a code is tied to (the phone
number, the follower's openid): it is hashed together with the code, so a code sent for one
subject is no code for another.

The guards, all here: six digits from `secrets`; only a keyed hash is stored (HMAC-SHA256 from
SECRET_KEY and the purpose's salt); a code is valid until its `expires_at`, spent by its use,
and burnt after `max_attempts` wrong tries, each counted in a commit of its own; the comparison
takes constant time; only the newest unused code of a subject is ever checked; a code that could
not be sent is not kept. Throttling asking and guessing is the caller's (core.throttle), as the
limits and their messages are.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

logger = logging.getLogger(__name__)

CODE_DIGITS = 6


class CodeExpired(Exception):
    """No code to check: none sent, expired, used, or burnt by wrong tries (this one included)."""


class CodeWrong(Exception):
    """Not the code; `attempts_left` more tries before it is burnt (at least one)."""

    def __init__(self, attempts_left: int):
        super().__init__(attempts_left)
        self.attempts_left = attempts_left


class CodeNotSent(Exception):
    """The sender failed (its exception is the cause); the code was not kept."""


def new_code() -> str:
    """Six random digits, leading zeros included."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass(frozen=True)
class OneTimeCodes:
    """The codes of one purpose. `salt` keys their hashes (never change it: stored codes would
    stop matching); `label` names a code in the log ("Look-up code 12 …"), never its subject."""

    model: type[models.Model]
    salt: str
    label: str

    def code_hash(self, subject: str, code: str) -> str:
        return salted_hmac(self.salt, f"{subject}:{code}", algorithm="sha256").hexdigest()

    def send(
        self,
        *,
        subject: str,
        ttl: timedelta,
        sender: Callable[[], Any],
        channel: str,
        destination: str,
        fields: dict[str, Any],
    ) -> models.Model:
        """Create a code for `subject` valid for `ttl` (its row gets `fields` too) and deliver
        it with `sender()`'s `send(channel=, destination=, code=, minutes=)`; returns the row.

        Raises CodeNotSent when the sender fails: the row is deleted, and the log names only
        the exception's type (its text may carry the destination).
        """
        code = new_code()
        now = timezone.now()
        row = self.model.objects.create(
            code_hash=self.code_hash(subject, code), created_at=now, expires_at=now + ttl, **fields
        )
        try:
            sender().send(
                channel=channel,
                destination=destination,
                code=code,
                minutes=int(ttl.total_seconds() // 60),
            )
        except Exception as exc:
            logger.warning("%s %s could not be sent (%s)", self.label, row.pk, type(exc).__name__)
            row.delete()
            raise CodeNotSent from exc
        return row

    def verify(
        self,
        codes: models.QuerySet,
        *,
        subject: str,
        code: str,
        max_attempts: int,
        on_right: Callable[[models.Model], Any] | None = None,
    ) -> Any:
        """Check `code` against the newest unused code among `codes` (those of `subject`).

        Right: the code is spent and `on_right(row)` runs in the same transaction (an exception
        from it rolls the spending back); returns what it returns, or the row. Raises
        CodeExpired (nothing to check, or this wrong try burnt the code) or CodeWrong.
        """
        with transaction.atomic():
            row = (
                codes.select_for_update()
                .filter(used_at__isnull=True)
                .order_by("-created_at", "-pk")
                .first()
            )
            if row is None or row.expires_at <= timezone.now():
                raise CodeExpired
            if row.attempts >= max_attempts:
                raise CodeExpired
            if constant_time_compare(row.code_hash, self.code_hash(subject, code.strip())):
                row.used_at = timezone.now()
                row.save(update_fields=["used_at"])
                return on_right(row) if on_right else row
            row.attempts += 1
            row.save(update_fields=["attempts"])
        # Raised after the commit, so the wrong try stays counted.
        left = max_attempts - row.attempts
        logger.info("%s %s: a wrong code, %d tries left", self.label, row.pk, max(left, 0))
        if left <= 0:
            raise CodeExpired
        raise CodeWrong(attempts_left=left)
