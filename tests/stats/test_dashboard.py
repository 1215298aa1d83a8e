import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from stats.models import DailyViews
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    CategoryFactory,
    DepartmentFactory,
    DonationProjectFactory,
    GiftFactory,
    RegistrationFactory,
)
from tests.stats.support import dashboard_table

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


def seed_views(item, *, days: int, per_day) -> int:
    """Daily counters of `item` for the last `days` days, `per_day(n)` views on day n ago."""
    today = timezone.localdate()
    content_type = ContentType.objects.get_for_model(item)
    DailyViews.objects.bulk_create(
        DailyViews(
            content_type=content_type,
            object_id=item.pk,
            day=today - timedelta(days=n),
            views=per_day(n),
            visitors=max(1, per_day(n) // 2),
        )
        for n in range(days)
    )
    return sum(per_day(n) for n in range(days))


def published(factory, **kwargs):
    return factory(state="published", created_by=None, **kwargs)


@pytest.fixture
def year(db):
    """A year of counters over every module, two categories and two departments."""
    alumni_news, campus = CategoryFactory(name="校友动态"), CategoryFactory(name="校园新闻")
    office, league = DepartmentFactory(name="校友办"), DepartmentFactory(name="团委")
    news = [
        published(ArticleFactory, category=alumni_news, department=office),
        published(ArticleFactory, category=alumni_news, department=league),
        published(ArticleFactory, category=campus, department=office),
    ]
    activity = published(ActivityFactory)
    project = published(DonationProjectFactory)
    profile = published(AlumniProfileFactory)
    totals = {
        "news": [
            seed_views(a, days=365, per_day=lambda n, i=i: (n % 7) + i + 1)
            for i, a in enumerate(news)
        ],
        "activity": seed_views(activity, days=365, per_day=lambda n: 3),
        "project": seed_views(project, days=365, per_day=lambda n: 2),
        "profile": seed_views(profile, days=365, per_day=lambda n: 1 + n % 2),
    }
    now = timezone.now()
    for n in (0, 1, 40, 200):
        RegistrationFactory(activity=activity, created_at=now - timedelta(days=n))
    for n, amount in ((0, "100.10"), (3, "2000.00"), (100, "0.01")):
        GiftFactory(
            project=project,
            amount=Decimal(amount),
            donated_on=timezone.localdate() - timedelta(days=n),
        )
    return {"news": news, "activity": activity, "project": project, "totals": totals}


def test_a_year_of_figures_matches_the_counters(staff_client, year):
    totals = year["totals"]

    response = staff_client.get(URL, {"days": 365})

    assert response.status_code == 200
    everything = sum(totals["news"]) + totals["activity"] + totals["project"] + totals["profile"]
    assert response.context["summary"]["views"] == everything
    modules = {row[0]: row[1] for row in dashboard_table(response, "modules-ranked").rows}
    assert modules == {
        "校园动态": sum(totals["news"]),
        "校友活动": totals["activity"],
        "捐赠项目": totals["project"],
        "校友风采": totals["profile"],
    }


def test_every_day_of_the_year_matches_its_counters(staff_client, year):
    response = staff_client.get(URL, {"days": 365})

    days = dashboard_table(response, "views-by-day")
    stored = {
        day.isoformat(): views
        for day, views in DailyViews.objects.values_list("day").annotate(v=Sum("views"))
    }
    assert len(days.rows) == 365
    assert {row[0]: row[-1] for row in days.rows} == stored


def test_category_and_department_views_match_their_articles(staff_client, year):
    first, second, third = year["totals"]["news"]

    response = staff_client.get(URL, {"days": 365})

    categories = {row[0]: row[1] for row in dashboard_table(response, "categories-ranked").rows}
    departments = {row[0]: row[1] for row in dashboard_table(response, "departments-ranked").rows}
    assert categories == {"校友动态": first + second, "校园新闻": third}
    assert departments == {"校友办": first + third, "团委": second}


def test_charts_are_inline_svg_that_add_up_to_the_tables(staff_client, year):
    response = staff_client.get(URL, {"days": 365})

    html = response.content.decode()
    assert '<svg class="stats-chart"' in html
    assert 'src="http' not in html  # nothing from another site
    assert f'data-series="校友活动" data-total="{year["totals"]["activity"]}"' in html


def test_the_page_speaks_chinese(staff_client, year):
    response = staff_client.get(URL)

    assert "阅读统计" in response.content.decode()
    assert "校友喜欢什么" in response.content.decode()


def test_signups_and_donations_are_counted_per_day_in_the_range(staff_client, year):
    response = staff_client.get(URL, {"days": 30})

    assert response.context["summary"]["signups"] == 2
    assert response.context["summary"]["gifts"] == 2
    assert response.context["summary"]["amount"] == Decimal("2100.10")
    projects = dashboard_table(response, "donations-by-project").rows
    assert projects == [[year["project"].title, 2, Decimal("2100.10")]]


def test_the_query_count_does_not_grow_with_the_range(staff_client, year, queries_for):
    assert queries_for(f"{URL}?days=7") == queries_for(f"{URL}?days=365")


def test_the_query_count_does_not_grow_with_more_items(staff_client, year, queries_for):
    before = queries_for(f"{URL}?days=30")
    for _n in range(5):
        seed_views(
            published(ArticleFactory, category=CategoryFactory()), days=30, per_day=lambda n: 1
        )

    assert queries_for(f"{URL}?days=30") == before


def test_a_custom_range_shows_only_its_days(staff_client, year):
    end = timezone.localdate() - timedelta(days=10)
    start = end - timedelta(days=4)

    response = staff_client.get(URL, {"start": start.isoformat(), "end": end.isoformat()})

    days = dashboard_table(response, "views-by-day")
    assert [row[0] for row in days.rows] == [
        (start + timedelta(days=n)).isoformat() for n in range(5)
    ]
    expected = DailyViews.objects.filter(day__range=(start, end)).aggregate(v=Sum("views"))["v"]
    assert response.context["summary"]["views"] == expected


def test_a_backwards_range_shows_the_last_30_days_and_says_why(staff_client, year):
    today = timezone.localdate()

    response = staff_client.get(URL, {"start": today.isoformat(), "end": "2020-01-01"})

    assert len(dashboard_table(response, "views-by-day").rows) == 30
    assert "开始日期不能晚于结束日期" in response.content.decode()


def test_top_items_of_the_last_7_days_are_ranked_by_views(staff_client, year):
    response = staff_client.get(URL, {"days": 7})

    top = dashboard_table(response, "top-7-days").rows
    views = [row[3] for row in top]
    assert views == sorted(views, reverse=True)
    assert top[0][1].text == year["news"][2].title
    assert top[0][3] == sum((n % 7) + 3 for n in range(7))


def test_categories_are_ranked_by_views_per_post(staff_client):
    popular, prolific = CategoryFactory(name="校友故事"), CategoryFactory(name="通知公告")
    seed_views(published(ArticleFactory, category=popular), days=5, per_day=lambda n: 20)
    for _n in range(4):
        seed_views(published(ArticleFactory, category=prolific), days=5, per_day=lambda n: 10)

    response = staff_client.get(URL, {"days": 7})

    rows = dashboard_table(response, "categories-ranked").rows
    assert [row[0] for row in rows[:2]] == ["校友故事", "通知公告"]
    assert rows[0][3:] == [1, Decimal("100.0")]
    assert rows[1][1:] == [200, 100, 4, Decimal("50.0")]


def test_the_csv_export_is_the_table_with_a_bom(staff_client, year):
    page = staff_client.get(URL, {"days": 90})
    export = staff_client.get(reverse("stats:export", args=["modules-ranked"]), {"days": 90})

    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in export["Content-Disposition"]
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    shown = dashboard_table(page, "modules-ranked")
    assert rows[0] == shown.columns
    assert rows[1:] == [[str(cell) for cell in row] for row in shown.rows]


def test_the_csv_export_keeps_exact_amounts(staff_client, year):
    export = staff_client.get(reverse("stats:export", args=["donations-by-day"]), {"days": 7})

    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8")[1:])))
    assert rows[0] == ["日期", "捐赠人次", "金额（元）"]
    assert [timezone.localdate().isoformat(), "1", "100.10"] in rows


def test_an_unknown_table_is_not_found(staff_client):
    assert staff_client.get(reverse("stats:export", args=["passwords"])).status_code == 404


def test_the_dashboard_is_for_staff_only(client):
    client.force_login(get_user_model().objects.create(username="alumnus"))

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_index_links_to_the_dashboard(staff_client):
    response = staff_client.get(reverse("admin:index"))

    assert reverse("admin:stats_readingstatistics_changelist") in response.content.decode()
    assert staff_client.get(reverse("admin:stats_readingstatistics_changelist")).status_code == 200


def test_each_pushed_article_shows_its_wechat_reads_over_the_range(staff_client):
    from stats.services import wechat_stats_store

    today = timezone.localdate()
    for n, reads in ((1, 100), (2, 40)):
        wechat_stats_store(
            rows=[
                {"msgid": "500_1", "title": "校庆", "int_page_read_count": reads, "share_count": 2},
                {"msgid": "500_2", "title": "招聘", "int_page_read_count": 5},
                {"user_source": 2, "int_page_read_count": reads},
            ],
            day=today - timedelta(days=n),
        )

    response = staff_client.get(URL, {"days": 7})

    pushes = dashboard_table(response, "wechat-by-push").rows
    first_day = (today - timedelta(days=2)).isoformat()
    assert pushes == [
        [first_day, "500", 1, "校庆", 140, 0, 4, 0],
        [first_day, "500", 2, "招聘", 10, 0, 0, 0],
    ]
    assert dashboard_table(response, "wechat-by-source").rows == [["朋友圈", 140, 0, 0, 0]]


def test_follower_growth_shows_the_audience_counts(staff_client):
    from django.apps import apps

    if not apps.is_installed("audience"):
        pytest.skip("the audience app is not installed")
    counts = apps.get_model("audience", "FollowerDailyCount")
    yesterday = timezone.localdate() - timedelta(days=1)
    counts.objects.create(day=yesterday, total=23_000, new=40, unsubscribed=3)

    response = staff_client.get(URL, {"days": 7})

    rows = dashboard_table(response, "followers-by-day").rows
    assert [yesterday.isoformat(), 23_000, 40, 3] in rows
    assert [timezone.localdate().isoformat(), None, 0, 0] in rows


def test_the_excel_export_is_the_table(staff_client, year):
    openpyxl = pytest.importorskip("openpyxl")
    page = staff_client.get(URL, {"days": 30})

    export = staff_client.get(reverse("stats:export_xlsx", args=["donations-by-day"]), {"days": 30})

    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    shown = dashboard_table(page, "donations-by-day")
    assert rows[0] == shown.columns
    assert rows[1:] == [[day, gifts, float(amount)] for day, gifts, amount in shown.rows]


def test_titles_and_names_are_escaped(staff_client):
    category = CategoryFactory(name="<b>分类</b>")
    article = published(ArticleFactory, title="<script>alert(1)</script>", category=category)
    seed_views(article, days=3, per_day=lambda n: 5)

    html = staff_client.get(URL, {"days": 7}).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>分类</b>" not in html
