from decimal import Decimal

import pytest
from django.urls import reverse

from editorial.models import State
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db

UNPUBLISHED = [State.DRAFT, State.SUBMITTED, State.SCHEDULED, State.WITHDRAWN]


def test_project_list_shows_published_projects_with_their_progress(client):
    project = DonationProjectFactory(state=State.PUBLISHED, title="新图书馆", goal=Decimal("200"))
    GiftFactory(project=project, amount=Decimal("50.00"))

    response = client.get(reverse("donations:list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "新图书馆" in page
    assert 'style="width: 25.00%"' in page


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_project_list_leaves_out_unpublished_projects(client, state):
    DonationProjectFactory(state=state, title="未发布的项目")

    response = client.get(reverse("donations:list"))

    assert "未发布的项目" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_project_detail_of_an_unpublished_project_is_not_found(client, state):
    project = DonationProjectFactory(state=state)

    response = client.get(reverse("donations:detail", args=[project.pk]))

    assert response.status_code == 404


def test_project_detail_shows_goal_raised_percent_gifts_and_deadline(client):
    project = DonationProjectFactory(
        state=State.PUBLISHED, goal=Decimal("100.00"), deadline="2030-06-30"
    )
    GiftFactory.create_batch(3, project=project, amount=Decimal("33.33"))

    page = client.get(project.get_absolute_url()).content.decode()

    assert "¥99.99" in page
    assert "¥100" in page
    assert "99%" in page
    assert 'style="width: 99.99%"' in page
    assert "2030-06-30" in page
    assert "<strong>3</strong><span>捐赠人次</span>" in page


def test_project_list_shows_12_projects_per_page(client):
    DonationProjectFactory.create_batch(13, state=State.PUBLISHED)

    first = client.get(reverse("donations:list"))
    second = client.get(reverse("donations:list"), {"page": 2})

    assert len(first.context["projects"]) == 12
    assert len(second.context["projects"]) == 1


def test_project_list_runs_as_many_queries_for_20_projects_as_for_2(
    client, queries_for, django_assert_num_queries
):
    for project in DonationProjectFactory.create_batch(2, state=State.PUBLISHED):
        GiftFactory(project=project)
    expected = queries_for(reverse("donations:list"))
    for project in DonationProjectFactory.create_batch(18, state=State.PUBLISHED):
        GiftFactory(project=project)

    with django_assert_num_queries(expected):
        client.get(reverse("donations:list"))


def test_project_detail_runs_as_many_queries_for_20_gifts_as_for_2(
    client, queries_for, django_assert_num_queries
):
    project = DonationProjectFactory(state=State.PUBLISHED)
    GiftFactory.create_batch(2, project=project)
    GiftFactory(project=project, anonymous=True)
    expected = queries_for(project.get_absolute_url())
    GiftFactory.create_batch(18, project=project)

    with django_assert_num_queries(expected):
        client.get(project.get_absolute_url())


def test_donor_wall_runs_as_many_queries_for_20_gifts_to_20_projects_as_for_2(
    client, queries_for, django_assert_num_queries
):
    for project in DonationProjectFactory.create_batch(2, state=State.PUBLISHED):
        GiftFactory(project=project)
    expected = queries_for(reverse("donations:wall"))
    for project in DonationProjectFactory.create_batch(18, state=State.PUBLISHED):
        GiftFactory(project=project)

    with django_assert_num_queries(expected):
        client.get(reverse("donations:wall"))
