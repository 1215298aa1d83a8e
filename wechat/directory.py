"""Who a follower is, as far as the wechat app may know: the interface another app answers.

The wechat app does not import the audience app (audience imports wechat). Audience registers
a lookup in its AppConfig.ready(); the welcome reply and the inbox ask `follower_cards(openids)`
and get, for each follower bound to an alumni record, the record's display name, class year,
branch and admin link. Without a registered lookup nobody is bound.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FollowerCard:
    """What the inbox shows beside a follower's messages. `name` is the alumnus's display
    name (family name first), "" when the follower is not bound to a record."""

    openid: str
    name: str = ""
    nickname: str = ""
    class_year: int | None = None
    branch: str = ""
    record_url: str = ""
    subscribed: bool | None = None

    @property
    def bound(self) -> bool:
        return bool(self.name)


Lookup = Callable[[list[str]], dict[str, FollowerCard]]
_lookups: list[Lookup] = []


def register_follower_lookup(lookup: Lookup) -> None:
    """Add `lookup(openids) -> {openid: FollowerCard}`; it must answer in a constant number of
    queries for any number of openids."""
    if lookup not in _lookups:
        _lookups.append(lookup)


def follower_cards(openids: Iterable[str]) -> dict[str, FollowerCard]:
    """A card for each openid (a bare one for followers no lookup knows)."""
    wanted = list(dict.fromkeys(o for o in openids if o))
    cards: dict[str, FollowerCard] = {}
    for lookup in _lookups:
        missing = [o for o in wanted if o not in cards]
        if not missing:
            break
        cards.update(lookup(missing))
    return {openid: cards.get(openid) or FollowerCard(openid=openid) for openid in wanted}
