import socket

import pytest

from alumni_cms.health import health_forget


@pytest.fixture(autouse=True)
def _own_cache_and_fresh_health(settings, request):
    """A cache of each test's own (heartbeats, media figures) and no remembered broker answer."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ops-{request.node.nodeid}",
        }
    }
    health_forget()
    yield
    health_forget()


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
