"""News tips from outside the admin (a follower's WeChat message) becoming a content draft.

Editorial names the step; a content app that takes tips registers its handler in its
AppConfig.ready() (articles: a campus-news draft, as a liaison's submission starts). A channel
such as the wechat app calls `tip_submit(...)` and never imports a content app.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .errors import NotAllowedError
from .models import EditorialItem


@dataclass(frozen=True)
class Tip:
    """What a tip brings: a title, the text as it was sent (plain text, escaped by the
    handler), where it came from (one line, e.g. "微信粉丝留言 2026-12-02 10:31 · 林晓舟")."""

    title: str
    text: str
    source: str = ""


TipHandler = Callable[..., EditorialItem]
_handlers: list[TipHandler] = []


def register_tip_intake(handler: TipHandler) -> None:
    """Register `handler(*, tip: Tip, by) -> EditorialItem`; the first registered is used."""
    if handler not in _handlers:
        _handlers.append(handler)


def tip_intake_available() -> bool:
    return bool(_handlers)


def tip_submit(*, tip: Tip, by) -> EditorialItem:
    """Turn `tip` into a draft item owned by `by` (with its first revision). Raises
    NotAllowedError when no content app takes tips or `by` may not create one, and the
    handler's EditorialError (InvalidValueError…) for values the item refuses."""
    if not _handlers:
        raise NotAllowedError("No content type takes news tips.")
    return _handlers[0](tip=tip, by=by)
