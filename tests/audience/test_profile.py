"""The alumnus's own pages: details, privacy choice, classmates, deletion."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audience.models import Follower, ProfileChange
from audience.services import alumnus_erase, binding_candidates, follower_bind, profile_update
from audience.views import SESSION_OPENID
from tests.factories import AlumnusFactory, FollowerFactory, GiftFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bound():
    """A follower bound to 张伟's record."""
    alumnus = AlumnusFactory(
        name="张伟", class_year=2005, college="计算机学院", phone="13800138000",
        email="zhang.wei@example.com", city="杭州", employer="某研究所",
    )  # fmt: skip
    return follower_bind(follower=FollowerFactory(), alumnus=alumnus)


@pytest.fixture
def reader(client, bound):
    """A client whose session knows the bound follower (as after web authorization)."""
    session = client.session
    session[SESSION_OPENID] = bound.openid
    session.save()
    return client


def test_contact_change_is_logged_masked(bound):
    profile_update(alumnus=bound.alumnus, changes={"phone": "13911112222"}, follower=bound)

    change = ProfileChange.objects.get(field="phone")
    assert (change.old_value, change.new_value) == ("138****8000", "139****2222")
    assert change.follower == bound


def test_unchanged_fields_are_not_logged(bound):
    changed = profile_update(alumnus=bound.alumnus, changes={"city": "杭州"}, follower=bound)

    assert changed == []
    assert not ProfileChange.objects.filter(field="city").exists()


def test_profile_page_saves_details_and_privacy_choice(reader, bound):
    response = reader.post(
        reverse("audience:profile"),
        {
            "phone": "13800138000",
            "email": "zhang.wei@example.com",
            "city": "上海",
            "employer": "某研究所",
            "visible_to_classmates": "on",
        },
    )

    assert response.status_code == 302
    bound.alumnus.refresh_from_db()
    assert (bound.alumnus.city, bound.alumnus.visible_to_classmates) == ("上海", True)
    fields = set(ProfileChange.objects.values_list("field", flat=True))
    assert {"city", "visible_to_classmates"} <= fields


def test_unbound_reader_is_sent_to_the_bind_page(client):
    session = client.session
    session[SESSION_OPENID] = FollowerFactory().openid
    session.save()

    response = client.get(reverse("audience:profile"))

    assert response["Location"] == reverse("audience:bind")


def test_classmates_page_lists_only_visible_classmates(reader, bound):
    AlumnusFactory(name="王芳", class_year=2005, college="计算机学院", visible_to_classmates=True)
    AlumnusFactory(name="李强", class_year=2005, college="计算机学院", visible_to_classmates=False)

    page = reader.get(reverse("audience:classmates")).content.decode()

    assert "王芳" in page and "李强" not in page


def test_classmates_page_never_shows_contact_details(reader, bound):
    AlumnusFactory(
        name="王芳", class_year=2005, college="计算机学院", visible_to_classmates=True,
        phone="13700001234", email="wang@example.com",
    )  # fmt: skip

    page = reader.get(reverse("audience:classmates")).content.decode()

    assert "13700001234" not in page and "wang@example.com" not in page


def test_classmates_page_queries_do_not_grow_with_the_list(reader, bound, queries_for):
    def add(n):
        for _ in range(n):
            AlumnusFactory(class_year=2005, college="计算机学院", visible_to_classmates=True)

    add(1)
    few = queries_for(reverse("audience:classmates"))
    add(5)
    assert queries_for(reverse("audience:classmates")) == few


def test_erasure_blanks_personal_fields_and_unbinds(bound):
    alumnus = bound.alumnus

    alumnus_erase(alumnus=alumnus)

    alumnus.refresh_from_db()
    assert alumnus.deleted_at is not None
    assert (alumnus.name, alumnus.phone, alumnus.email, alumnus.employer) == ("", "", "", "")
    assert alumnus.wechat_openid is None
    assert Follower.objects.get(pk=bound.pk).alumnus is None


def test_erasure_keeps_gifts_anonymised(bound):
    gift = GiftFactory(donor_alumnus=bound.alumnus, donor_name="张伟", amount=Decimal("500.00"))

    alumnus_erase(alumnus=bound.alumnus)

    gift.refresh_from_db()
    assert (gift.donor_name, gift.anonymous, gift.amount) == ("匿名校友", True, Decimal("500.00"))
    assert gift.donor_alumnus_id == bound.alumnus_id


def test_erasure_anonymises_signups_and_the_change_log(bound):
    signup = RegistrationFactory(alumnus=bound.alumnus, name="张伟", phone="13800138000")
    profile_update(alumnus=bound.alumnus, changes={"phone": "13911112222"}, follower=bound)

    alumnus_erase(alumnus=bound.alumnus)

    signup.refresh_from_db()
    assert (signup.name, signup.phone) == ("匿名校友", "")
    change = ProfileChange.objects.get(field="phone")
    assert (change.old_value, change.new_value, change.follower) == ("", "", None)


def test_deletion_page_erases_the_record_after_confirmation(reader, bound):
    response = reader.post(reverse("audience:delete"), {"confirm": "on"})

    assert response.status_code == 200
    assert "档案已删除" in response.content.decode()
    bound.alumnus.refresh_from_db()
    assert bound.alumnus.deleted_at is not None


def test_deletion_page_without_confirmation_keeps_the_record(reader, bound):
    reader.post(reverse("audience:delete"), {})

    bound.alumnus.refresh_from_db()
    assert bound.alumnus.deleted_at is None


def test_deleted_record_is_excluded_from_binding_search(bound):
    alumnus_erase(alumnus=bound.alumnus)

    assert binding_candidates(name="", class_year=2005) == []


@pytest.mark.parametrize("url_name", ["audience:profile", "audience:classmates", "audience:delete"])
def test_bound_reader_pages_open(reader, url_name):
    assert reader.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("url_name", ["audience:bind", "audience:request", "audience:code"])
def test_unbound_reader_pages_open(client, url_name):
    session = client.session
    session[SESSION_OPENID] = FollowerFactory().openid
    session.save()

    assert client.get(reverse(url_name)).status_code == 200
