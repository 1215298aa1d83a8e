"""Queries over articles that more than one page needs."""

from django.db.models import Count, F, Prefetch, QuerySet

from alumni.models import Branch
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


class CountedRows:
    """Rows for a `Paginator` that counts them on a lighter queryset.

    The list's rows join three tables for the names they show; the paginator's COUNT needs none
    of them (a LEFT JOIN never changes the count), and with thousands of rows the joins were
    half of the page's time.
    """

    def __init__(self, rows: QuerySet, *, counted: QuerySet):
        self.rows = rows
        self.counted = counted

    def count(self) -> int:
        return self.counted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return self.rows[index]


def categories_all() -> list[Category]:
    """Every news category, in the office's order (the list page's filter chips)."""
    return list(Category.objects.all())


def article_published(*, pk: int) -> Article | None:
    """The published article `pk` with the names it shows (category, department, branch)."""
    try:
        return (
            Article.objects.select_related("category", "department", "branch")
            .only(*DETAIL_FIELDS)
            .get(pk=pk, state=State.PUBLISHED)
        )
    except Article.DoesNotExist:
        return None


def article_photos(*, article_id: int) -> list[ArticlePhoto]:
    """The article's photos in their order (image and caption only)."""
    return list(ArticlePhoto.objects.filter(article_id=article_id).only("image", "caption"))


def _published(category_id: int | None) -> QuerySet[Article]:
    published = Article.objects.published()
    return published if category_id is None else published.filter(category_id=category_id)


def articles_published(*, category_id: int | None = None) -> QuerySet[Article]:
    """Published articles, newest first, with their list fields and names (LIST_NAMES)."""
    return _published(category_id).only(*LIST_FIELDS).annotate(**LIST_NAMES)


def articles_to_page(*, category_id: int | None = None) -> CountedRows:
    """`articles_published` for a Paginator, counted without the names' joins."""
    return CountedRows(
        articles_published(category_id=category_id), counted=_published(category_id).order_by()
    )


def articles_newest(*, category_id: int | None, count: int) -> list[Article]:
    """The `count` newest published articles (of the category when given), as
    `articles_published`: the detail page's "more news" leaves out the article itself."""
    return list(articles_published(category_id=category_id)[:count])


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
