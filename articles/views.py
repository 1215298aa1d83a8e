import hashlib

from django.core.cache import caches
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from alumni_cms.views import paginate
from editorial.models import State
from stats.pagecache import cache_public_page

from .models import Article, ArticlePhoto, Category

# The news list shows 20 items a page (issue 6 measures "the 20-item list page").
NEWS_PER_PAGE = 20

# What a news item in a list shows (includes/article_item.html): no body, the heaviest column.
LIST_FIELDS = (
    "title",
    "published_at",
    "cover",
    "category__name",
    "department__name",
    "branch__name",
)
# What the detail page shows (articles/detail.html).
DETAIL_FIELDS = (
    *LIST_FIELDS,
    "digest",
    "body",
    "author",
    "source_url",
    "category__slug",
)


def _public_articles():
    return Article.objects.published().select_related("category", "department", "branch")


def _rendered(template: str, context: dict, shows: tuple) -> SafeString:
    """`template` rendered with `context`, kept in the process's memory under `shows`.

    `shows` must hold every value the fragment shows that can change (and the language is
    added): an edited, republished or renamed item then simply gets a new key, so there is
    nothing to invalidate, and fragments never asked for again drop out of the memory cache.
    This is not page caching: the queries for the items still run on every request, so an
    item withdrawn or deleted leaves the page at once.
    """
    return _rendered_many(template, [(context, shows)])[0]


def _rendered_many(template: str, fragments: list[tuple[dict, tuple]]) -> list[SafeString]:
    """Like `_rendered` for several fragments at once (one cache round trip)."""
    cache = caches["site_chrome"]
    language = translation.get_language()
    keyed = []
    for context, shows in fragments:
        raw = repr((template, language, *shows)).encode()
        keyed.append((f"fragment:{hashlib.md5(raw, usedforsecurity=False).hexdigest()}", context))
    found = cache.get_many([key for key, _context in keyed])
    missing = {}
    for key, context in keyed:
        if key not in found:
            missing[key] = found[key] = render_to_string(template, context)
    if missing:
        cache.set_many(missing, None)
    return [SafeString(found[key]) for key, _context in keyed]


def _name(related) -> str | None:
    return related.name if related else None


def _rows(articles) -> list[SafeString]:
    """Each article's list row (includes/article_item.html), kept under all it shows."""
    return _rendered_many(
        "includes/article_item.html",
        [
            (
                {"article": article},
                (
                    article.pk,
                    article.title,
                    article.published_at,
                    article.cover.name,
                    _name(article.category),
                    _name(article.department),
                    _name(article.branch),
                ),
            )
            for article in articles
        ],
    )


def _article_block(article: Article, photos: list[ArticlePhoto]) -> SafeString:
    """The article itself (articles/article_block.html), kept under all it shows."""
    return _rendered(
        "articles/article_block.html",
        {"article": article, "photos": photos},
        (
            article.pk,
            article.title,
            article.published_at,
            article.category.slug if article.category else None,
            _name(article.category),
            _name(article.department),
            _name(article.branch),
            article.author,
            article.cover.name,
            article.source_url,
            hashlib.md5(article.body.encode(), usedforsecurity=False).hexdigest(),
            tuple((photo.image.name, photo.caption) for photo in photos),
        ),
    )


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
    page = paginate(request, articles, per_page=NEWS_PER_PAGE)
    return render(
        request,
        "articles/list.html",
        {
            "page": page,
            "articles": page,
            "rows": _rows(page),
            "categories": categories,
            "current_category": current,
        },
    )


@cache_public_page
def article_detail(request, pk: int):
    # One query for the article and the names it shows; get() drops the model's ordering.
    try:
        article = (
            Article.objects.select_related("category", "department", "branch")
            .only(*DETAIL_FIELDS)
            .get(pk=pk, state=State.PUBLISHED)
        )
    except Article.DoesNotExist:
        raise Http404 from None
    photos = list(ArticlePhoto.objects.filter(article_id=article.pk).only("image", "caption"))
    more = _public_articles().only(*LIST_FIELDS).exclude(pk=article.pk)
    if article.category_id:
        more = more.filter(category_id=article.category_id)
    return render(
        request,
        "articles/detail.html",
        {
            "article": article,
            "article_html": _article_block(article, photos),
            "more": _rows(more[:3]),
        },
    )
