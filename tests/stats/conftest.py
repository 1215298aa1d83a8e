import uuid

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import caches

from stats import counters

# Where the Redis store's tests count when the suite itself runs without Redis (the embedded
# defaults); CI's second run uses its own CACHE_URL's server.
LOCAL_REDIS = "redis://127.0.0.1:6379/3"


def _use_cache(settings, tmp_path, *, on_redis: bool) -> None:
    default = dict(settings.CACHES["default"])
    if not (on_redis and default["BACKEND"].endswith("RedisCache")):
        default = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    # A fresh key prefix keeps the test's marks and counts apart on a shared Redis.
    default["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {**settings.CACHES, "default": default}
    settings.STATS_COUNT_VIEWS = True


def _forget_redis_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


@pytest.fixture
def view_cache(settings, tmp_path):
    """View counting on, with a cache of the test's own: a temporary file cache (views go to the
    database at once), or on Redis (CI's second run) the same server under a fresh key prefix."""
    _use_cache(settings, tmp_path, on_redis=True)
    yield caches["default"]
    if counters.redis_url():
        _forget_redis_keys(counters.redis_url(), settings.CACHES["default"]["KEY_PREFIX"])


@pytest.fixture
def database_views(settings, tmp_path):
    """View counting on the embedded defaults: a file cache, each view a database write."""
    _use_cache(settings, tmp_path, on_redis=False)
    settings.STATS_REDIS_URL = ""
    return caches["default"]


@pytest.fixture
def redis_views(settings, tmp_path):
    """View counting on Redis (counts in a hash until flushed), under a fresh key prefix."""
    _use_cache(settings, tmp_path, on_redis=True)
    if not counters.redis_url():
        settings.STATS_REDIS_URL = LOCAL_REDIS
    url = counters.redis_url()
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    yield caches["default"]
    _forget_redis_keys(url, settings.CACHES["default"]["KEY_PREFIX"])


@pytest.fixture(params=["database", "redis"])
def any_views(request):
    """View counting on each store in turn (see database_views, redis_views)."""
    return request.getfixturevalue(f"{request.param}_views")


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create(username="stats-staff", is_staff=True)
    client.force_login(user)
    return client
