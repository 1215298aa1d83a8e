"""Counts a view of a public detail page after it was served (see `stats.services.view_record`)."""

import logging

from django.conf import settings
from django.urls import Resolver404, resolve

from core.throttle import client_ip

logger = logging.getLogger(__name__)


class ViewCountMiddleware:
    """Count GET requests answered 200 by one of `settings.STATS_COUNTED_VIEWS`.

    It sits first in MIDDLEWARE so that a page served whole from a cache by a later middleware
    (no view ran, so no `resolver_match`) is still counted: the path is then resolved here.
    Counting never fails a page: an error (say the cache is down) is logged and the page served.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.STATS_COUNT_VIEWS
            and request.method == "GET"
            and response.status_code == 200
            and not _is_prefetch(request)
        ):
            try:
                _count(request)
            except Exception:
                logger.exception("Could not count a view of %s", request.path)
        return response


def _is_prefetch(request) -> bool:
    # META, not request.headers: that builds a dict of every header on first use.
    meta = request.META
    purpose = meta.get("HTTP_SEC_PURPOSE") or meta.get("HTTP_PURPOSE") or ""
    return "prefetch" in purpose.lower()


def _count(request) -> None:
    from .services import view_record

    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return
    label = settings.STATS_COUNTED_VIEWS.get(match.view_name)
    if label is None or "pk" not in match.kwargs:
        return
    view_record(
        model_label=label,
        object_id=int(match.kwargs["pk"]),
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
