"""Queries over articles that more than one page needs."""

from django.db.models import Count, Exists, F, OuterRef, Prefetch

from alumni.models import Branch
from alumni_cms.prepared import PreparedQuery, PreparedRows
from editorial.models import ReviewComment, State

from .models import Article, ArticlePhoto, Category

# What a news item in a list shows (includes/article_item.html): no body, the heaviest column,
# and the names it shows as plain columns (`category_name`...), without building related rows.
LIST_FIELDS = ("title", "published_at", "cover")
LIST_NAMES = {
    "category_name": F("category__name"),
    "department_name": F("department__name"),
    "branch_name": F("branch__name"),
}
# What the detail page shows (articles/article_block.html, articles/detail.html).
DETAIL_FIELDS = (
    *LIST_FIELDS,
    "digest",
    "body",
    "author",
    "source_url",
    "category__name",
    "category__slug",
    "department__name",
    "branch__name",
)

# The public news pages run these few shapes on every request; compiled once (prepared.py).


def _listed():
    return Article.objects.published().only(*LIST_FIELDS).annotate(**LIST_NAMES)


_published_article = PreparedQuery(
    lambda pk: (
        Article.objects.select_related("category", "department", "branch")
        .only(*DETAIL_FIELDS)
        # Most news has no photo gallery (pictures sit in the body): then no photo query.
        .annotate(has_photos=Exists(ArticlePhoto.objects.filter(article_id=OuterRef("pk"))))
        .filter(pk=pk, state=State.PUBLISHED)
        .order_by()
    ),
    "pk",
)
_photos = PreparedQuery(
    lambda article_id: ArticlePhoto.objects.filter(article_id=article_id).only("image", "caption"),
    "article_id",
)
_published = PreparedQuery(_listed)
_published_in_category = PreparedQuery(
    lambda category_id: _listed().filter(category_id=category_id), "category_id"
)
_more_in_category = PreparedQuery(
    lambda pk, category_id: _listed().filter(category_id=category_id).exclude(pk=pk),
    "pk",
    "category_id",
)
_more = PreparedQuery(lambda pk: _listed().exclude(pk=pk), "pk")
_categories = PreparedQuery(lambda: Category.objects.all())


def categories_all() -> list[Category]:
    """Every news category, in the office's order (the list page's filter chips)."""
    return _categories()


def article_published(*, pk: int) -> Article | None:
    """The published article `pk` with the names it shows (category, department, branch) and
    `has_photos`."""
    return _published_article.first(pk=pk)


def article_photos(*, article: Article) -> list[ArticlePhoto]:
    """The article's photos in their order (image and caption only); no query when the article
    came from `article_published` and has none."""
    if getattr(article, "has_photos", True) is False:
        return []
    return _photos(article_id=article.pk)


def articles_published(*, category_id: int | None = None) -> PreparedRows:
    """Published articles, newest first, with their list fields and names (LIST_NAMES), to
    slice or give to a Paginator."""
    if category_id is None:
        return _published.pages()
    return _published_in_category.pages(category_id=category_id)


def articles_more(*, article: Article, count: int = 3) -> list[Article]:
    """The newest other published articles, of the same category when it has one."""
    if article.category_id:
        return _more_in_category(limit=count, pk=article.pk, category_id=article.category_id)
    return _more(limit=count, pk=article.pk)


def branch_submissions(*, user):
    """Articles of the branches `user` is a liaison of, newest first, with their review comments.

    The comments, branch and photo count come with a fixed number of queries, whatever the size.
    """
    return (
        Article.objects.filter(branch__in=Branch.objects.filter(liaisons=user))
        .select_related("branch")
        .annotate(photo_count=Count("photos"))
        .prefetch_related(
            Prefetch(
                "review_comments",
                queryset=ReviewComment.objects.order_by("created_at", "pk"),
                to_attr="comments",
            )
        )
        .order_by("-created_at", "-pk")
    )
