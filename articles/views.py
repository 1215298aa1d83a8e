import hashlib

from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from core.memo import Fragments
from core.pagecache import cache_public_page, cached_fragments
from core.paging import paginate

from .models import Article, ArticlePhoto
from .selectors import (
    article_photos,
    article_published,
    articles_newest,
    articles_to_page,
    categories_all,
)

# The news list shows 20 items a page (issue 6 measures "the 20-item list page").
NEWS_PER_PAGE = 20
# The detail page's "more news": the newest other articles of its category.
MORE_NEWS = 3

# Rendered news rows (~1 kB each) and article blocks (the body: tens of kB), per process.
_row_memo = Fragments(size=3000)
_block_memo = Fragments(size=300)


def _rendered(memo: Fragments, template: str, context: dict, shows: tuple) -> SafeString:
    """`template` rendered with `context`, kept in the process's memory under `shows`.

    `shows` must hold every value the fragment shows that can change (and the language is
    added): an edited, republished or renamed item then simply gets a new key, so there is
    nothing to invalidate, and fragments never asked for again drop out of the memory cache.
    This is not page caching: the queries for the items still run on every request, so an
    item withdrawn or deleted leaves the page at once.
    """
    return _rendered_many(memo, template, [(context, shows)])[0]


def _rendered_many(
    memo: Fragments, template: str, fragments: list[tuple[dict, tuple]]
) -> list[SafeString]:
    """Like `_rendered` for several fragments at once."""
    language = translation.get_language()
    rendered = []
    for context, shows in fragments:
        key = (template, language, *shows)
        html = memo.get(key)
        if html is None:
            html = memo.set(key, render_to_string(template, context))
        rendered.append(html)
    return rendered


def _name(related) -> str | None:
    return related.name if related else None


def _rows(articles) -> list[SafeString]:
    """Each article's list row (includes/article_item.html), kept under all it shows.

    The articles come from `selectors.articles_published` or `articles_newest`, with their names.
    """
    return _rendered_many(
        _row_memo,
        "includes/article_item.html",
        [
            (
                {"article": article},
                (
                    article.pk,
                    article.title,
                    article.published_at,
                    article.cover.name,
                    article.category_name,
                    article.department_name,
                    article.branch_name,
                ),
            )
            for article in articles
        ],
    )


def _article_block(article: Article, photos: list[ArticlePhoto]) -> SafeString:
    """The article itself (articles/article_block.html), kept under all it shows."""
    return _rendered(
        _block_memo,
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


def _kept(article: Article) -> tuple[list[SafeString], list[ArticlePhoto]]:
    """The article's "more news" rows and its photos, kept by `cached_fragments` until public
    content changes (the pages' version): page cache or not, most detail requests then run
    only the article's query, and one round trip to the cache.

    "More news" is the newest other published articles of the article's category (of all news
    when it has none): the category's newest MORE_NEWS + 1 rows, the same for each of its
    articles, less the article itself.
    """
    category_id = article.category_id or None
    more_key = f"pages:more:{translation.get_language()}:{category_id or '-'}"
    photos_key = f"pages:photos:{article.pk}"

    def more() -> list[tuple[int, SafeString]]:
        newest = articles_newest(category_id=category_id, count=MORE_NEWS + 1)
        return [(row.pk, html) for row, html in zip(newest, _rows(newest), strict=True)]

    kept = cached_fragments(
        {more_key: more, photos_key: lambda: article_photos(article_id=article.pk)}
    )
    rows = [html for pk, html in kept[more_key] if pk != article.pk][:MORE_NEWS]
    return rows, kept[photos_key]


@cache_public_page
def article_list(request):
    categories = categories_all()
    current = None
    slug = request.GET.get("category")
    if slug:
        current = next((c for c in categories if c.slug == slug), None)
        if current is None:
            # An unknown category is a dead link, not an empty list that looks like "no news".
            raise Http404
    page = paginate(
        request,
        articles_to_page(category_id=current.pk if current else None),
        per_page=NEWS_PER_PAGE,
    )
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
    article = article_published(pk=pk)
    if article is None:
        raise Http404
    more, photos = _kept(article)
    return render(
        request,
        "articles/detail.html",
        {
            "article": article,
            "article_html": _article_block(article, photos),
            "more": more,
        },
    )
