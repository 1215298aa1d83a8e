"""`/healthz`: may a load balancer send this process traffic? Database, cache and broker.

200 {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}} or 503 with
"error" against each part that failed. Nothing else: no versions, hosts, errors' text or
personal data (the reason goes to the log, masked). Each check is bounded by
HEALTH_CHECK_TIMEOUT seconds; the broker's answer is kept in this process for
HEALTH_BROKER_CACHE_SECONDS, so a balancer asking every second opens a broker connection a few
times a minute at most. No login, no page cache, no throttle, no session, no access-log noise
(gunicorn and nginx leave it out; see deploy/).
"""

import logging
import os
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

OK, ERROR = "ok", "error"
_broker_lock = threading.Lock()
_broker_answer: dict[str, tuple[float, bool]] = {}


def database_ok(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database answers a trivial query."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        logger.warning("Health: the database does not answer (%s)", type(error).__name__)
        # A connection that failed must not be reused by this thread's next request.
        connection.close_if_unusable_or_obsolete()
        return False
    return True


def cache_ok(alias: str = "default") -> bool:
    """Whether the cache stores and returns a value (a key of its own, gone in seconds)."""
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache = caches[alias]
        cache.set(key, 1, timeout=5)
        found = cache.get(key) == 1
        cache.delete(key)
    except Exception as error:
        logger.warning("Health: the cache does not answer (%s)", type(error).__name__)
        return False
    if not found:
        logger.warning("Health: the cache does not keep what it is given")
    return found


def broker_ok() -> bool:
    """Whether the Celery broker takes a connection, remembered for a few seconds."""
    url = settings.CELERY_BROKER_URL
    now = time.monotonic()
    answer = _broker_answer.get(url)
    if answer is not None and now - answer[0] < settings.HEALTH_BROKER_CACHE_SECONDS:
        return answer[1]
    with _broker_lock:
        answer = _broker_answer.get(url)
        if answer is not None and now - answer[0] < settings.HEALTH_BROKER_CACHE_SECONDS:
            return answer[1]
        ok = _broker_connects(url)
        _broker_answer[url] = (time.monotonic(), ok)
    return ok


def _broker_connects(url: str) -> bool:
    from .celery import app

    if url.startswith("filesystem://"):
        # No server: the broker is its folders, which must be there and writable.
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders = [Path(options["data_folder_in"]), Path(options["control_folder"])]
        ok = all(folder.is_dir() and _writable(folder) for folder in folders)
        if not ok:
            logger.warning("Health: the filesystem broker's folders are missing or read-only")
        return ok
    timeout = settings.HEALTH_CHECK_TIMEOUT
    try:
        with app.connection_for_write(url, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            # Redis answers a PING when the channel opens; AMQP has opened its channel.
            connection.default_channel  # noqa: B018
    except Exception as error:
        logger.warning("Health: the broker does not answer (%s)", type(error).__name__)
        return False
    return True


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def health_checks() -> dict[str, str]:
    """{"database": "ok" | "error", "cache": …, "broker": …}."""
    return {
        "database": OK if database_ok() else ERROR,
        "cache": OK if cache_ok() else ERROR,
        "broker": OK if broker_ok() else ERROR,
    }


def health_forget() -> None:
    """Forget the remembered broker answers (tests, and after a configuration change)."""
    _broker_answer.clear()


def health_response() -> JsonResponse:
    checks = health_checks()
    healthy = all(value == OK for value in checks.values())
    response = JsonResponse(
        {"status": OK if healthy else ERROR, "checks": checks}, status=200 if healthy else 503
    )
    add_never_cache_headers(response)
    return response


class HealthMiddleware:
    """First in MIDDLEWARE: answers GET or HEAD of HEALTH_PATH before anything else runs.

    A load balancer asks by address, with a Host header ALLOWED_HOSTS may not list, over plain
    HTTP where SECURE_SSL_REDIRECT would send it away, and every second: so no host check, no
    redirect, no session, language, page cache, view count or throttle. The answer holds
    nothing derived from the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == settings.HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)


class HealthLogFilter(logging.Filter):
    """Drops Django's per-request lines about HEALTH_PATH (a 503 is logged by the checks
    above, with its reason): a balancer's polls are not what a person reads the log for."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path_info", None)
        if path is None and record.name == "django.server":
            # runserver's request line: "GET /healthz HTTP/1.1" 200 …
            words = str(record.args[0]).split(" ") if record.args else []
            path = words[1].split("?")[0] if len(words) > 1 else ""
        return path != settings.HEALTH_PATH
