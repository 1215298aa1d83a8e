import pytest
from django.urls import reverse

from editorial.models import State
from tests.factories import AlumniProfileFactory, AlumnusFactory

pytestmark = pytest.mark.django_db

UNPUBLISHED = [State.DRAFT, State.SUBMITTED, State.SCHEDULED, State.WITHDRAWN]


def test_profile_list_shows_a_card_with_name_and_headline(client):
    AlumniProfileFactory(state=State.PUBLISHED, subject_name="陈静", headline="航天工程师")

    response = client.get(reverse("alumni:profile_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "陈静" in page
    assert "航天工程师" in page


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_profile_list_leaves_out_unpublished_profiles(client, state):
    AlumniProfileFactory(state=state, subject_name="未发布校友")

    response = client.get(reverse("alumni:profile_list"))

    assert "未发布校友" not in response.content.decode()


def test_profile_detail_shows_the_story_and_the_class_year(client):
    profile = AlumniProfileFactory(
        state=State.PUBLISHED,
        body="<p>从实验室到发射场。</p>",
        alumnus=AlumnusFactory(class_year=1998, college="航空学院"),
    )

    response = client.get(reverse("alumni:profile_detail", args=[profile.pk]))

    page = response.content.decode()
    assert "<p>从实验室到发射场。</p>" in page
    assert "1998 届" in page
    assert "航空学院" in page


def test_profile_detail_never_shows_the_alumnus_contact_details(client):
    profile = AlumniProfileFactory(
        state=State.PUBLISHED, alumnus=AlumnusFactory(phone="13712345678", employer="某研究所")
    )

    page = client.get(profile.get_absolute_url()).content.decode()

    assert "13712345678" not in page


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_profile_detail_of_an_unpublished_profile_is_not_found(client, state):
    profile = AlumniProfileFactory(state=state)

    response = client.get(reverse("alumni:profile_detail", args=[profile.pk]))

    assert response.status_code == 404


def test_profile_list_shows_12_profiles_per_page(client):
    AlumniProfileFactory.create_batch(13, state=State.PUBLISHED)

    first = client.get(reverse("alumni:profile_list"))
    last = client.get(reverse("alumni:profile_list"), {"page": 99})

    assert len(first.context["profiles"]) == 12
    assert len(last.context["profiles"]) == 1


def test_profile_list_runs_as_many_queries_for_20_profiles_as_for_2(
    client, queries_for, django_assert_num_queries
):
    AlumniProfileFactory.create_batch(2, state=State.PUBLISHED)
    expected = queries_for(reverse("alumni:profile_list"))
    AlumniProfileFactory.create_batch(18, state=State.PUBLISHED)

    with django_assert_num_queries(expected):
        client.get(reverse("alumni:profile_list"))


def test_profile_detail_runs_as_many_queries_for_20_profiles_as_for_2(
    client, queries_for, django_assert_num_queries
):
    profile = AlumniProfileFactory(state=State.PUBLISHED)
    AlumniProfileFactory.create_batch(2, state=State.PUBLISHED)
    expected = queries_for(profile.get_absolute_url())
    AlumniProfileFactory.create_batch(18, state=State.PUBLISHED)

    with django_assert_num_queries(expected):
        client.get(profile.get_absolute_url())
