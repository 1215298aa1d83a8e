"""The ceiling the public pages are measured against: Django with almost nothing to do."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from articles.models import Article
from articles.views import NEWS_PER_PAGE


def bare_detail(request, pk: int):
    """One row by primary key into a small template."""
    article = get_object_or_404(Article.objects.only("title", "digest", "published_at"), pk=pk)
    return render(request, "bench/bare_detail.html", {"article": article})


def bare_list(request):
    """As many rows as a page of the news list (20), into a small template."""
    articles = Article.objects.only("title", "digest", "published_at").order_by("-pk")
    articles = articles[:NEWS_PER_PAGE]
    return render(request, "bench/bare_list.html", {"articles": articles})


def bare_fixed(request, size: int):
    """A fixed string of `size` bytes (the size of a cached page): the ceiling of a page served
    whole from the cache."""
    return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")
