"""The pages a visitor sees when a request fails: 400, 403 (and a refused CSRF token), 404, 500.

In the public site's style and language (zh-hans by default), instead of Django's English text.
The 400 and 500 pages are rendered without the request's context processors and touch neither
the database nor the session: they must work when those are what failed (a 400 may come from a
request whose Host header cannot be trusted). Should even that fail (a broken template or URL
configuration), a plain page in the same words is sent, never the server's bare error.
"""

import logging

from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .context_processors import site

logger = logging.getLogger(__name__)


def _render(response_class, template_name: str, request=None, **context) -> HttpResponse:
    """`template_name` with `context`, and the request's context processors when `request` is
    given; a plain page with the page's heading when rendering fails."""
    context = {**site(request), **context}
    try:
        html = loader.get_template(template_name).render(context, request)
    except Exception:
        logger.exception("The error page %s could not be rendered", template_name)
        html = _plain_page(response_class.status_code)
    return response_class(html)


def _plain_page(status: int) -> str:
    headings = {
        400: _("The request could not be understood"),
        403: _("You may not open this page"),
        404: _("Page not found"),
        500: _("Something went wrong on our side"),
    }
    heading = headings.get(status, headings[500])
    return format_html(
        '<!doctype html><html lang="zh-hans"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>{}</title><h1>{}</h1><p><a href="/">{}</a></p></html>',
        heading,
        heading,
        _("Back to the home page"),
    )


def bad_request(request, exception=None, *, reason: str = ""):
    """400: a request the site cannot act on (a null character, a number out of range, a Host
    header not in ALLOWED_HOSTS). `reason`, when given, says what was wrong."""
    return _render(HttpResponseBadRequest, "400.html", reason=reason)


def permission_denied(request, exception=None):
    """403: the visitor may not open this page."""
    return _render(HttpResponseForbidden, "403.html", request)


def page_not_found(request, exception=None):
    """404: no such page, or one that is not public (yet or any more)."""
    return _render(HttpResponseNotFound, "404.html", request)


def server_error(request):
    """500: an error of ours; the visitor is asked to try again later."""
    return _render(HttpResponseServerError, "500.html")


def csrf_failure(request, reason: str = ""):
    """403 for a form sent without a valid CSRF token: most often a page left open too long or
    cookies blocked. Django's reason is logged by the CSRF middleware, not shown."""
    return _render(HttpResponseForbidden, "403_csrf.html", request)
