"""Whole-page caching of the public pages for anonymous visitors.

A page is cached under the visitor's language and its full path, with the "pages version" it
was rendered under; any change to public content (an item published or withdrawn, any save or
delete in the content apps, a sign-up or a gift) sets a new version, so every cached page is
stale at once (they expire on their own after STATS_PAGE_CACHE_SECONDS, which also bounds how
stale a time-dependent figure, such as "sign-up closes", can get). One round trip to the cache
serves a cached page. Views are still counted: `ViewCountMiddleware` sits outside and sees the
cached page's 200 like any other.

`cached_fragments` keeps pieces of a page that only public content changes (the detail page's
"more news" and photos) under the same version, so they are stale as soon as the pages are; it
works whether or not whole pages are cached, and the version is kept either way.

The footer's language form and the sign-up form carry a CSRF token, which belongs to one
visitor: the cached copy keeps a placeholder and each visitor gets their own token put back.
"""

import functools
import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

VERSION_KEY = "pages:version"
# A fragment outlives no content change (the version); this only bounds the memory of fragments
# no longer asked for.
FRAGMENT_SECONDS = 3600
CONTENT_APPS = frozenset({"articles", "activities", "donations", "alumni", "editorial"})
# Rows of those apps that no public page shows: an editor's revisions, the audit trail and
# review comments. Their saves and deletes leave the cached pages alone (the nightly retention
# deletes revisions by the thousand: two cache writes each, every page dropped for nothing).
NOT_PUBLIC = frozenset({"editorial.revision", "editorial.auditentry", "editorial.reviewcomment"})
_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_PLACEHOLDER = "\x00csrf\x00"


def pages_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY, "")
    return version


def pages_changed(**_kwargs) -> None:
    """Drop every cached public page and fragment, now and again once the transaction commits
    (a page rendered in between from the old rows would otherwise stay cached). Kept even with
    the page cache off: `cached_fragments` relies on it."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


def content_saved(sender, **kwargs) -> None:
    """post_save / post_delete receiver: any row of a content app may show on a public page."""
    if sender._meta.app_label in CONTENT_APPS and sender._meta.label_lower not in NOT_PUBLIC:
        pages_changed()


def cached_fragments(renders: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each `renders[key]()`'s value, kept in the cache under `key` until public content next
    changes.

    One round trip when all are cached (the version and the values in one get_many). A value
    carries the version read before rendering, so one rendered while the content changed is
    stale at once. A key must hold whatever else its value depends on (the language, for one).
    """
    found = cache.get_many([VERSION_KEY, *renders])
    version = found.get(VERSION_KEY) or pages_version()
    values, rendered = {}, {}
    for key, render in renders.items():
        cached = found.get(key)
        if cached is not None and cached[0] == version:
            values[key] = cached[1]
        else:
            values[key] = render()
            rendered[key] = (version, values[key])
    if rendered:
        cache.set_many(rendered, FRAGMENT_SECONDS)
    return values


def _cacheable(request) -> bool:
    # A visitor with a session (signed in, or a message waiting) sees pages made for them.
    return (
        settings.STATS_PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def cache_public_page(view):
    """Serve the view's 200 answers to anonymous GETs from the cache (see the module's doc)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path = hashlib.md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
        key = f"pages:{translation.get_language()}:{path}"
        # The version and the page in one round trip; a page stored under an older version
        # is stale (a page rendered while the content changed carries the version it began
        # with, so it is stale too).
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or pages_version()
        cached = found.get(key)
        if cached is not None and cached[0] == version:
            _version, content, content_type = cached
            if _PLACEHOLDER in content:
                content = content.replace(_PLACEHOLDER, get_token(request))
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            content = _TOKEN.sub(rf"\g<1>{_PLACEHOLDER}\g<2>", response.content.decode())
            cache.set(
                key,
                (version, content, response["Content-Type"]),
                settings.STATS_PAGE_CACHE_SECONDS,
            )
        return response

    return wrapper
