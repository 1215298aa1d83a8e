"""Error reports to Sentry (or a compatible service), only when SENTRY_DSN is set.

sentry_sdk is imported inside `sentry_init`, so a deployment without a DSN pays nothing for it.
Reports carry no personal data: `send_default_pii` is off (no cookies, user, client address,
request bodies), and `before_send` runs core.redaction over every message, exception text,
breadcrumb and the request's URL before the event leaves the process.
"""

from typing import Any

from core.redaction import redact


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def before_send(event: dict, hint: dict | None = None) -> dict:
    """The event with its messages, exception values, log entries, breadcrumbs and request
    URL masked (core.redaction.redact), and the request's query string, cookies and body
    dropped."""
    for key in ("message", "logentry", "exception", "breadcrumbs", "extra", "threads"):
        if key in event:
            event[key] = _scrub(event[key])
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "cookies", "data"):
            request.pop(key, None)
        if "url" in request:
            request["url"] = redact(request["url"])
        if isinstance(request.get("headers"), dict):
            request["headers"] = {
                name: value
                for name, value in _scrub(request["headers"]).items()
                if name.lower() not in {"cookie", "authorization", "x-forwarded-for"}
            }
    return event


def sentry_init(*, dsn: str, environment: str, release: str = "") -> bool:
    """Start the Sentry SDK for Django and Celery when `dsn` is set; whether it started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        before_send=before_send,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=0.0,
    )
    return True
