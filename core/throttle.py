"""Counting requests against limits, for the forms anyone can send (sign-ups, binding codes).

A limit is `(seconds, at_most)`: at most that many requests per scope (a client address, a phone
number, a follower) in a window that opens with the scope's first request. The counters live in
the cache named by THROTTLE_CACHE, which every web process must share (Redis in production).

Counting is atomic: `cache.add()` opens a counter at 0 and `cache.incr()` raises it, and a
request is refused when the value *it* got is past the limit. Two requests at once get two
different values, so a limit of one lets one through at most (a get-then-set lets both).
"""

import contextlib
import math
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac


class Throttled(Exception):
    """A limit was reached; `retry_after` is the seconds until that window closes."""

    def __init__(self, *, retry_after: int):
        super().__init__(f"throttled for {retry_after} s")
        self.retry_after = retry_after


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the last entry of STATS_CLIENT_IP_HEADER if set.

    The last entry is the one our own reverse proxy appended (nginx's
    `$proxy_add_x_forwarded_for`); anything before it was sent by the client and proves nothing.
    """
    header = settings.STATS_CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _count(cache, scope: str, seconds: int) -> tuple[str, int, float]:
    """Count one request for `scope` in its current window.

    Returns the counter's key, the count so far and the window's start. The start is a key of
    its own, written once by add() and never changed, and the counter is named after it: so a
    window ends on time on every backend (the file cache's incr() rewrites the counter's
    expiry, Redis's and locmem's keep it).
    """
    # Hashed: the cache holds no phone number or address in the clear, and keys stay short.
    # The salt keeps the module's first name, so counters open at a deploy carry on.
    name = salted_hmac("alumni_cms.throttle", scope, algorithm="sha256").hexdigest()[:32]
    base = f"throttle:{name}:{seconds}"
    for _attempt in range(3):
        cache.add(base, time.time(), seconds)
        start = cache.get(base)
        if start is None:  # the window closed between add() and get(): open the next one
            continue
        counter = f"{base}:{start!r}"
        cache.add(counter, 0, seconds)
        try:
            return counter, cache.incr(counter), start
        except ValueError:  # the counter expired between add() and incr()
            continue
    # The cache keeps dropping keys (full, or down): count this request as the first.
    return "", 1, time.time()


def throttle(scopes: Iterable[str], limits: Iterable[tuple[int, int]]) -> None:
    """Count one request against every scope in every window of `limits`.

    Raises Throttled when any count is past its limit; the refused request then takes its
    counts back, so it uses up no scope's allowance (a follower refused for one record may
    still ask for another), while a client that keeps hammering stays refused: the counts of
    the requests that passed remain until the window closes.
    """
    cache = caches[settings.THROTTLE_CACHE]
    counted = []
    retry_after = 0
    for seconds, at_most in limits:
        for scope in scopes:
            counter, count, start = _count(cache, scope, seconds)
            counted.append(counter)
            if count > at_most:
                left = math.ceil(start + seconds - time.time())
                retry_after = max(retry_after, min(seconds, max(left, 1)))
    if retry_after:
        for counter in filter(None, counted):
            with contextlib.suppress(ValueError):  # the window closed meanwhile
                cache.decr(counter)
        raise Throttled(retry_after=retry_after)
