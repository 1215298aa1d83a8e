"""A request id on every log line, and on the response, so one request's lines can be grepped.

nginx sends its `$request_id` as X-Request-ID (deploy/nginx); a well-formed one is kept, so the
access log and ours share the id; otherwise (no proxy, or a header that is not an id) one is
made here. Celery tasks carry their task id instead (alumni_cms/celery.py binds it). The id
lives in a context variable, so threads (gthread workers) and tasks never see another's.
"""

import contextvars
import re
import uuid

HEADER = "X-Request-ID"
NONE = "-"
# nginx's $request_id is 32 hex digits; a UUID or a load balancer's id fits too. Nothing that
# could break a log line or carry text (spaces, quotes, newlines) is taken.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NONE)


def request_id_from(value: str | None) -> str:
    """`value` when it is a well-formed id, else a new random one."""
    if value and WELL_FORMED.fullmatch(value):
        return value
    return uuid.uuid4().hex


def request_id_bind(value: str) -> contextvars.Token:
    """Make `value` the id of what runs now (a request, a task); returns the token to reset."""
    return request_id_var.set(value)


def request_id_reset(token: contextvars.Token) -> None:
    request_id_var.reset(token)


class RequestIdMiddleware:
    """Outermost: binds the request's id for everything below it and sets it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = request_id_bind(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter:
    """A log filter that puts the current id on every record as `request_id`."""

    def filter(self, record) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True
