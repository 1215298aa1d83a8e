import pytest
from django.urls import reverse

from donations.selectors import donor_wall
from editorial.models import State
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return DonationProjectFactory(state=State.PUBLISHED, title="奖学金")


def test_donor_wall_lists_named_gifts_and_only_counts_anonymous_ones(project):
    named = GiftFactory(project=project, donor_name="王五")
    GiftFactory.create_batch(2, project=project, donor_name="不愿具名", anonymous=True)

    wall = donor_wall(project=project)

    assert list(wall.gifts) == [named]
    assert wall.anonymous_count == 2


def test_donor_wall_of_all_projects_leaves_out_unpublished_projects(project):
    GiftFactory(project=project, donor_name="王五")
    GiftFactory(project=DonationProjectFactory(state=State.DRAFT), donor_name="草稿捐赠人")
    GiftFactory(project=DonationProjectFactory(state=State.DRAFT), anonymous=True)

    wall = donor_wall()

    assert [g.donor_name for g in wall.gifts] == ["王五"]
    assert wall.anonymous_count == 0


def test_donor_wall_keeps_at_most_limit_gifts_newest_first(project):
    gifts = GiftFactory.create_batch(5, project=project)

    wall = donor_wall(project=project, limit=3)

    assert list(wall.gifts) == gifts[:1:-1]


@pytest.mark.parametrize("url_name", ["donations:wall", "donations:detail"])
def test_donor_wall_pages_show_names_and_messages_but_never_anonymous_names(
    client, project, url_name
):
    GiftFactory(project=project, donor_name="王五", message="回报母校")
    GiftFactory(project=project, donor_name="秘密的李六", anonymous=True)
    args = [project.pk] if url_name == "donations:detail" else []

    page = client.get(reverse(url_name, args=args)).content.decode()

    assert "王五" in page
    assert "回报母校" in page
    assert "秘密的李六" not in page
    assert "匿名捐赠人" in page


def test_donor_wall_page_shows_60_gifts_per_page(client, project):
    GiftFactory.create_batch(61, project=project)

    first = client.get(reverse("donations:wall"))
    second = client.get(reverse("donations:wall"), {"page": 2})

    assert len(first.context["page"]) == 60
    assert len(second.context["page"]) == 1
