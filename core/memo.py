"""Rendered HTML kept in each process's memory, keyed by everything it shows.

For fragments that are the same for thousands of requests (the site's header, a news item's
list row): a plain bounded dict, with no pickling, lock or key hashing on the way out, which is
what Django's local-memory cache spends most of its time on for such small values. Keys must
hold every value the fragment shows that can change, so nothing ever needs invalidating; a
deploy restarts the processes and starts afresh.
"""

from django.utils.safestring import SafeString


class Fragments:
    """A bounded map of key -> SafeString; the oldest entries go first when it is full."""

    def __init__(self, size: int):
        self.size = size
        self._items: dict = {}

    def get(self, key) -> SafeString | None:
        return self._items.get(key)

    def set(self, key, html: str) -> SafeString:
        html = SafeString(html)
        items = self._items
        while len(items) >= self.size:
            # Dicts keep insertion order: drop the oldest. Another thread may have dropped it
            # first (the dict stays consistent under the GIL; only the count can overshoot).
            try:
                del items[next(iter(items))]
            except (KeyError, StopIteration, RuntimeError):
                break
        items[key] = html
        return html

    def clear(self) -> None:
        self._items.clear()


# The public site's chrome: a few entries per language and section.
chrome = Fragments(size=200)
