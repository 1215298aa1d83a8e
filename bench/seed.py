"""Seed the bench database: published news in a few categories, plus one of each other module.

DJANGO_SETTINGS_MODULE=bench.settings python -m bench.seed --articles 300
"""

import argparse

import django


def seed(*, articles: int) -> int:
    """Create `articles` published articles (bulk, no per-row save); returns the first's pk."""
    from django.utils import timezone

    from articles.models import Article, Category, Department
    from editorial.models import State

    categories = [
        Category.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"分类{n}"})[0]
        for n in range(6)
    ]
    departments = [Department.objects.get_or_create(name=f"来源部门{n}")[0] for n in range(4)]
    paragraph = (
        "<p>" + "校友会组织各地校友参加返校日活动，回顾校园生活，交流行业经验。" * 8 + "</p>"
    )
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            title=f"压测新闻{n}",
            digest=f"第 {n} 条新闻的摘要",
            body=paragraph * 6,
            state=State.PUBLISHED,
            published_at=now - timezone.timedelta(minutes=n),
            author="校友办",
            category=categories[n % len(categories)],
            department=departments[n % len(departments)],
        )
        for n in range(articles)
    )
    return Article.objects.order_by("-published_at").values_list("pk", flat=True).first()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    django.setup()
    print(seed(articles=args.articles))


if __name__ == "__main__":
    main()
