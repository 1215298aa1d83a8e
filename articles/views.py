from django.http import Http404
from django.shortcuts import get_object_or_404, render

from alumni_cms.views import paginate
from stats.pagecache import cache_public_page

from .models import Article, Category

# What a news item in a list shows (includes/article_item.html): no body, the heaviest column.
LIST_FIELDS = (
    "title",
    "published_at",
    "cover",
    "category__name",
    "department__name",
    "branch__name",
)


def _public_articles():
    return Article.objects.published().select_related("category", "department", "branch")


@cache_public_page
def article_list(request):
    categories = list(Category.objects.all())
    articles = _public_articles().only(*LIST_FIELDS)
    current = None
    slug = request.GET.get("category")
    if slug:
        current = next((c for c in categories if c.slug == slug), None)
        if current is None:
            # An unknown category is a dead link, not an empty list that looks like "no news".
            raise Http404
        articles = articles.filter(category=current)
    page = paginate(request, articles)
    return render(
        request,
        "articles/list.html",
        {"page": page, "articles": page, "categories": categories, "current_category": current},
    )


@cache_public_page
def article_detail(request, pk: int):
    article = get_object_or_404(_public_articles().prefetch_related("photos"), pk=pk)
    more = _public_articles().only(*LIST_FIELDS).exclude(pk=article.pk)
    if article.category_id:
        more = more.filter(category_id=article.category_id)
    return render(request, "articles/detail.html", {"article": article, "more": more[:3]})
