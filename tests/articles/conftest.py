import uuid

import pytest


@pytest.fixture(autouse=True)
def _own_default_cache(settings):
    """The detail page's "more news" is kept in the default cache until content changes
    (core.pagecache.cached_fragment): each test starts with an empty cache of its own, so no
    rows rendered in another test (or another process's test database) show up."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"articles-{uuid.uuid4().hex}",
        },
    }
