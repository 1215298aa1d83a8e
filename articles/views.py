from django.http import Http404
from django.shortcuts import get_object_or_404, render

from alumni_cms.views import paginate

from .models import Article, Category


def _public_articles():
    return Article.objects.published().select_related("category", "department", "branch")


def article_list(request):
    categories = list(Category.objects.all())
    articles = _public_articles()
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


def article_detail(request, pk: int):
    article = get_object_or_404(_public_articles().prefetch_related("photos"), pk=pk)
    more = _public_articles().exclude(pk=article.pk)
    if article.category_id:
        more = more.filter(category_id=article.category_id)
    return render(request, "articles/detail.html", {"article": article, "more": more[:3]})
