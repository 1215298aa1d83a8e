from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import RegistrationStatus
from editorial.models import State
from tests.factories import ActivityFactory, BranchFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

PUBLISHED = State.PUBLISHED


def test_activity_list_shows_published_activities(client):
    ActivityFactory(state=PUBLISHED, title="上海校友迎新会")

    response = client.get(reverse("activities:list"))

    assert response.status_code == 200
    assert "上海校友迎新会" in response.content.decode()


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.SCHEDULED, State.WITHDRAWN])
def test_activity_list_leaves_out_unpublished_activities(client, state):
    ActivityFactory(state=state, title="未发布的活动")

    response = client.get(reverse("activities:list"))

    assert "未发布的活动" not in response.content.decode()


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.SCHEDULED, State.WITHDRAWN])
def test_activity_detail_of_an_unpublished_activity_is_not_found(client, state):
    activity = ActivityFactory(state=state)

    response = client.get(reverse("activities:detail", args=[activity.pk]))

    assert response.status_code == 404


def test_activity_list_puts_upcoming_activities_first_soonest_first(client):
    now = timezone.now()
    past = ActivityFactory(state=PUBLISHED, starts_at=now - timedelta(days=30))
    later = ActivityFactory(state=PUBLISHED, starts_at=now + timedelta(days=20))
    sooner = ActivityFactory(state=PUBLISHED, starts_at=now + timedelta(days=3))

    response = client.get(reverse("activities:list"))

    assert [a.pk for a in response.context["activities"]] == [sooner.pk, later.pk, past.pk]


def test_activity_list_shows_12_activities_per_page(client):
    ActivityFactory.create_batch(13, state=PUBLISHED)

    first = client.get(reverse("activities:list"))
    second = client.get(reverse("activities:list"), {"page": 2})

    assert len(first.context["activities"]) == 12
    assert len(second.context["activities"]) == 1


def test_activity_detail_shows_when_where_how_organiser_and_places_left(client):
    activity = ActivityFactory(
        state=PUBLISHED,
        place="深圳湾体育中心",
        how_to_join="携带校友卡入场",
        capacity=30,
        organiser_branch=BranchFactory(name="深圳校友会"),
        starts_at=timezone.now() + timedelta(days=10),
    )
    RegistrationFactory.create_batch(3, activity=activity)
    RegistrationFactory(activity=activity, status=RegistrationStatus.CANCELLED)

    page = client.get(activity.get_absolute_url()).content.decode()

    for text in ("深圳湾体育中心", "携带校友卡入场", "深圳校友会", "30 人", "剩余名额", "报名截止"):
        assert text in page
    assert "<dd>27</dd>" in page


def test_activity_detail_of_a_full_activity_without_waitlist_shows_no_form(client):
    activity = ActivityFactory(state=PUBLISHED, capacity=1, waitlist_enabled=False)
    RegistrationFactory(activity=activity)

    page = client.get(activity.get_absolute_url()).content.decode()

    assert "名额已满，本活动不设候补。" in page
    assert 'name="phone"' not in page


def test_activity_detail_of_a_full_activity_with_waitlist_offers_the_waitlist(client):
    activity = ActivityFactory(state=PUBLISHED, capacity=1, waitlist_enabled=True)
    RegistrationFactory(activity=activity)

    page = client.get(activity.get_absolute_url()).content.decode()

    assert "加入候补" in page
    assert 'name="phone"' in page


def test_activity_detail_after_the_deadline_says_sign_up_has_closed(client):
    activity = ActivityFactory(state=PUBLISHED, signup_deadline=timezone.now() - timedelta(hours=1))

    page = client.get(activity.get_absolute_url()).content.decode()

    assert "本活动报名已截止。" in page
    assert 'name="phone"' not in page


def test_activity_list_runs_as_many_queries_for_20_activities_as_for_2(
    client, queries_for, django_assert_num_queries
):
    for activity in ActivityFactory.create_batch(2, state=PUBLISHED):
        RegistrationFactory(activity=activity)
    expected = queries_for(reverse("activities:list"))
    for activity in ActivityFactory.create_batch(18, state=PUBLISHED):
        RegistrationFactory(activity=activity)

    with django_assert_num_queries(expected):
        client.get(reverse("activities:list"))


def test_activity_detail_runs_as_many_queries_for_20_registrations_as_for_2(
    client, queries_for, django_assert_num_queries
):
    activity = ActivityFactory(state=PUBLISHED, organiser_branch=BranchFactory())
    RegistrationFactory.create_batch(2, activity=activity)
    expected = queries_for(activity.get_absolute_url())
    RegistrationFactory.create_batch(18, activity=activity)

    with django_assert_num_queries(expected):
        client.get(activity.get_absolute_url())
