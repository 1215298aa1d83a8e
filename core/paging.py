from collections.abc import Sequence

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PER_PAGE = 12


def paginate(request, rows: QuerySet | Sequence, *, per_page: int = PER_PAGE) -> Page:
    """The page `?page=` asks for; a missing or bad number gives the first, too big the last."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
