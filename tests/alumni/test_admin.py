from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alumni.selectors import branch_leaderboard
from editorial.models import State
from tests.factories import AlumnusFactory, ArticleFactory, BranchFactory, LiaisonFactory

pytestmark = pytest.mark.django_db


def _submission(branch, state, days_ago):
    return ArticleFactory(
        branch=branch, state=state, created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_leaderboard_counts_accepted_submissions_per_period(django_assert_num_queries):
    branch = BranchFactory()
    _submission(branch, State.PUBLISHED, days_ago=3)
    _submission(branch, State.SCHEDULED, days_ago=10)
    _submission(branch, State.APPROVED, days_ago=100)
    _submission(branch, State.PUBLISHED, days_ago=800)
    _submission(branch, State.REJECTED, days_ago=1)
    _submission(branch, State.SUBMITTED, days_ago=1)
    ArticleFactory(branch=None, state=State.PUBLISHED)
    with django_assert_num_queries(1):
        row = branch_leaderboard().get(pk=branch.pk)
    assert (row.last_30_days, row.last_12_months, row.all_time) == (2, 3, 4)


def test_leaderboard_page_ranks_branches_by_the_chosen_period(admin_client):
    steady = BranchFactory(name="北京校友会")
    recent = BranchFactory(name="上海校友会")
    for days in (200, 300, 400):
        _submission(steady, State.PUBLISHED, days_ago=days)
    _submission(recent, State.PUBLISHED, days_ago=2)
    url = reverse("admin:alumni_branch_leaderboard")
    month = admin_client.get(url, {"period": "30d"}).context["branches"]
    ever = admin_client.get(url, {"period": "all"}).context["branches"]
    assert [b.name for b in month][:2] == ["上海校友会", "北京校友会"]
    assert [b.name for b in ever][:2] == ["北京校友会", "上海校友会"]


def test_branch_changelist_counts_members_and_liaisons(admin_client):
    branch = BranchFactory()
    AlumnusFactory.create_batch(3, branch=branch)
    branch.liaisons.add(LiaisonFactory(), LiaisonFactory())
    response = admin_client.get(reverse("admin:alumni_branch_changelist"))
    row = response.context["cl"].result_list[0]
    assert (row.member_count, row.liaison_count) == (3, 2)


@pytest.mark.parametrize("query", ["王小明", "13812345678", "机械学院", "车辆工程"])
def test_alumnus_search_by_name_phone_college_or_major(admin_client, query):
    AlumnusFactory(name="王小明", phone="13812345678", college="机械学院", major="车辆工程")
    AlumnusFactory(name="赵六")
    response = admin_client.get(reverse("admin:alumni_alumnus_changelist"), {"q": query})
    assert [a.name for a in response.context["cl"].result_list] == ["王小明"]


def test_alumnus_filter_by_class_year(admin_client):
    AlumnusFactory(name="老校友", class_year=1990)
    AlumnusFactory(name="新校友", class_year=2020)
    response = admin_client.get(reverse("admin:alumni_alumnus_changelist"), {"class_year": "1990"})
    assert [a.name for a in response.context["cl"].result_list] == ["老校友"]
