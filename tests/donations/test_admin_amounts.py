from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db


def test_the_project_list_groups_goal_and_raised(admin_client):
    project = DonationProjectFactory(goal=Decimal("5000000.00"))
    GiftFactory(project=project, amount=Decimal("4000000.00"))
    GiftFactory(project=project, amount=Decimal("64300.00"))

    page = admin_client.get(reverse("admin:donations_donationproject_changelist")).content.decode()

    assert '<td class="field-goal_amount">¥5,000,000</td>' in page
    assert '<td class="field-raised">¥4,064,300</td>' in page


def test_the_gift_list_groups_amounts_and_keeps_cents(admin_client):
    GiftFactory(amount=Decimal("4207884.50"))

    page = admin_client.get(reverse("admin:donations_gift_changelist")).content.decode()

    assert '<td class="field-gift_amount">¥4,207,884.50</td>' in page


def test_the_gift_list_still_sorts_by_amount(admin_client):
    GiftFactory(donor_name="少", amount=Decimal("10.00"))
    GiftFactory(donor_name="多", amount=Decimal("20000.00"))
    changelist = reverse("admin:donations_gift_changelist")

    response = admin_client.get(changelist, {"o": "3"})

    assert [gift.donor_name for gift in response.context["cl"].result_list] == ["少", "多"]


def test_a_project_is_given_its_own_instructions_in_the_admin(admin_client):
    project = DonationProjectFactory()

    page = admin_client.get(
        reverse("admin:donations_donationproject_change", args=[project.pk])
    ).content.decode()

    assert 'name="how_to_give"' in page
