"""Odd input a person can type answers 400 with a clear page, never 500."""

import logging
import re

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.translation import gettext as _

from .errors import bad_request

logger = logging.getLogger(__name__)

NUL = "\x00"
ROW_ID = re.compile(r"[0-9]+")


class BadInputMiddleware:
    """Refuse a null character in the path, the query string or a form, and a number too large
    for the database or the calendar, with the 400 page.

    PostgreSQL cannot store or compare a string holding NUL (psycopg2 raises ValueError), so an
    admin list filter or any look-up given one answered 500; Django's forms refuse it in their
    CharFields only. Django's admin turns a year or a foreign key beyond 64 bits into an
    OverflowError (a date, or SQLite's integer); such a number is never valid input here.

    Forms are read only where Django's CSRF check reads them anyway (not in views exempt from
    it, such as the WeChat callback, which reads its own body under its own size limit).

    An admin action's selected rows are ids: every model here has an integer key, and Django's
    admin filters by them without checking, so "abc" answered 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or _holds_nul(request.GET):
            return self._refuse(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False):
            return None
        if _holds_nul(request.POST):
            return self._refuse(request)
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if not all(ROW_ID.fullmatch(value) for value in selected):
            logger.warning("Refused an admin action on rows that are not ids: %s", request.path)
            return bad_request(
                request, reason=_("The selected rows are not valid. Reload the list and try again.")
            )
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError):
            logger.warning("Refused a number out of range in %s: %s", request.path, exception)
            return bad_request(
                request,
                exception,
                reason=_("A number in the address or the form is too large. Please check it."),
            )
        return None

    @staticmethod
    def _refuse(request):
        logger.warning("Refused a null character in a request to %r", request.path)
        return bad_request(
            request,
            reason=_(
                "The address or the form contains a null character, which the site does not "
                "accept. Please check what you typed or pasted."
            ),
        )


def _holds_nul(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())
