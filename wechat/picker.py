"""The compose page's item picker: search the items of every content module by title.

Items come from editorial's registry (`content_models`), never from the content apps: one
query per content model, whatever the search finds. Items that may not be pushed (not approved,
or withdrawn) are listed too, greyed out with the reason, so an editor who finds the article
knows why it cannot go yet.
"""

from dataclasses import asdict, dataclass

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.publishing import PUBLISHABLE_STATES, item_by_key, item_key, item_publishable
from editorial.registry import content_models

SEARCH_MAX_LENGTH = 64
RESULTS_MAX = 20


class SearchTermError(ValueError):
    """A search term the picker does not take; the message says why, in the user's language."""


@dataclass(frozen=True)
class PickerItem:
    """One item as the picker shows it."""

    key: str
    title: str
    type: str
    state: str
    state_label: str
    date: str
    pushable: bool
    reason: str

    def as_json(self) -> dict:
        return asdict(self)


def _date_of(item) -> str:
    when = item.published_at or item.updated_at
    return date_format(timezone.localtime(when), "Y-m-d") if when else ""


def picker_item(item) -> PickerItem:
    """How the picker shows `item`: its type, state and date, and why it may not be pushed."""
    pushable = item_publishable(item)
    return PickerItem(
        key=item_key(item),
        title=item.title,
        type=str(item._meta.verbose_name),
        state=item.state,
        state_label=str(item.get_state_display()),
        date=_date_of(item),
        pushable=pushable,
        reason="" if pushable else gettext("Only approved items can be pushed."),
    )


def clean_search_term(term: str | None) -> str:
    """The term stripped of surrounding space. Raises SearchTermError when it is too long."""
    term = (term or "").strip()
    if len(term) > SEARCH_MAX_LENGTH:
        raise SearchTermError(
            gettext("Type at most %(max)s characters to search.") % {"max": SEARCH_MAX_LENGTH}
        )
    return term


def items_search(term: str, *, limit: int = RESULTS_MAX) -> tuple[list[PickerItem], bool]:
    """Items of every content module whose title contains `term` (all of them when it is empty):
    the pushable ones first, then titles starting with the term, then the most recently
    changed. Returns (at most `limit` items, whether there were more). One query per content
    model."""
    found = []
    for model in content_models():
        rows = model.objects.all()
        if term:
            rows = rows.filter(title__icontains=term)
        rows = rows.annotate(
            _blocked=Case(
                When(state__in=PUBLISHABLE_STATES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("_blocked", "-updated_at", "-pk")
        found += rows[: limit + 1]

    def rank(item):
        starts = term and item.title.lower().startswith(term.lower())
        return (item._blocked, 0 if starts else 1, -item.updated_at.timestamp(), item.pk)

    found.sort(key=rank)
    return [picker_item(item) for item in found[:limit]], len(found) > limit


def picker_items_of(keys: list[str]) -> list[PickerItem]:
    """The items `keys` name, for the picker's list of chosen items (a key naming no item shows
    as a gone item). One query per key: a push carries at most eight."""
    result = []
    for key in keys:
        try:
            result.append(picker_item(item_by_key(key)))
        except LookupError:
            result.append(
                PickerItem(
                    key=key,
                    title=str(_("An item that no longer exists")),
                    type="",
                    state="",
                    state_label="",
                    date="",
                    pushable=False,
                    reason=gettext("An item of this push no longer exists."),
                )
            )
    return result
