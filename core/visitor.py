"""Who a public visitor is, as far as another app can tell from the request.

Core names the question; an app that knows the answer registers itself in its
AppConfig.ready(). The audience app knows the WeChat follower of a session opened through
WeChat's web authorization, and through it the alumni record the follower bound to. A content
app asks `visitor_of(request)` and never imports audience or wechat.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Visitor:
    """What is known about the visitor: `alumnus_id`, the alumni record they proved is theirs
    (None: unknown), and `wechat`, True when messages can reach them in WeChat."""

    alumnus_id: int | None = None
    wechat: bool = False


ANONYMOUS = Visitor()
_resolvers: list[Callable[[HttpRequest], Visitor | None]] = []


def register_visitor_resolver(resolver: Callable[[HttpRequest], Visitor | None]) -> None:
    """Add `resolver(request) -> Visitor | None`; the first one that answers wins."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def visitor_of(request: HttpRequest) -> Visitor:
    """The visitor of `request` as the registered resolvers know them (ANONYMOUS if none)."""
    for resolver in _resolvers:
        visitor = resolver(request)
        if visitor is not None:
            return visitor
    return ANONYMOUS
