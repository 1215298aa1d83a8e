import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches

from stats.buffer import outbox


@pytest.fixture
def view_cache(settings, tmp_path):
    """View counting on, with a cache of the test's own: a temporary file cache, or on Redis
    (CI's second run) the same server under a fresh key prefix."""
    default = dict(settings.CACHES["default"])
    on_redis = default["BACKEND"].endswith("RedisCache")
    if on_redis:
        default["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    else:
        default = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    settings.CACHES = {**settings.CACHES, "default": default}
    settings.STATS_COUNT_VIEWS = True
    cache = caches["default"]
    yield cache
    outbox.send()  # nothing of this test's left for the next one's cache
    if on_redis:
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{default['KEY_PREFIX']}:*"):
            client.delete(key)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create(username="stats-staff", is_staff=True)
    client.force_login(user)
    return client
