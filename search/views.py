"""/search/?q=…&kind=…&page=…: the public search page.

Not kept in the public page cache (core/pagecache.py): every query would be a page of its own,
so one-off searches would fill the cache and push out the pages everybody reads, while a search
costs a count and a page query on the index (bench/README.md). Browsers may not keep it either.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.paging import paginate

from .selectors import SearchResults, kind_label, kinds
from .text import query_terms

QUERY_MAX_LENGTH = 50
RESULTS_PER_PAGE = 10


@never_cache
def search(request):
    query = " ".join(request.GET.get("q", "").split())
    kind = request.GET.get("kind", "")
    if kind not in kinds():
        kind = ""
    context = {
        "query": query,
        "kind": kind,
        "page": None,
        "problem": "",
        "filters": [],
        "max_length": QUERY_MAX_LENGTH,
    }
    if not query:
        context["problem"] = _("Type a word to search the news, activities, profiles and giving.")
    elif len(query) > QUERY_MAX_LENGTH:
        context["problem"] = _(
            "That is too long to search: at most %(max)d characters. Try one or two words."
        ) % {"max": QUERY_MAX_LENGTH}
    else:
        terms = query_terms(query)
        if not terms:
            context["problem"] = _(
                "There is nothing to search for in that: type Chinese, letters or digits."
            )
        else:
            results = SearchResults(terms, kind=kind)
            context["page"] = paginate(request, results, per_page=RESULTS_PER_PAGE)
            context["total"] = sum(results.counts.values())
            context["filters"] = [
                {"kind": key, "label": kind_label(key), "count": count}
                for key, count in results.counts.items()
            ]
    return render(request, "search/results.html", context)
