from decimal import Decimal

import pytest
from django.urls import reverse

from donations.models import Gift
from donations.services import gift_save
from editorial.models import State
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db


def test_project_list_shows_raised_and_percent_from_the_gifts(admin_client):
    project = DonationProjectFactory(goal=Decimal("2000.00"))
    GiftFactory(project=project, amount=Decimal("300.50"))
    GiftFactory(project=project, amount=Decimal("200.00"))
    response = admin_client.get(reverse("admin:donations_donationproject_changelist"))
    row = response.context["cl"].result_list[0]
    assert (row.raised, row.donors) == (Decimal("500.50"), 2)
    assert "25%" in response.content.decode()


def _gift_form(project, **fields):
    return {
        "project": str(project.pk),
        "donor_name": "陈校友",
        "donor_alumnus": "",
        "donated_on": "2025-05-01",
        "channel": "bank",
        "message": "",
        **fields,
    }


def test_a_gift_can_be_added_to_a_published_project(admin_client):
    project = DonationProjectFactory(state=State.PUBLISHED)
    url = reverse("admin:donations_gift_add")
    response = admin_client.post(url, _gift_form(project, amount="88.80"))
    assert response.status_code == 302
    assert Gift.objects.get(project=project).amount == Decimal("88.80")


def test_a_gift_with_a_negative_amount_is_refused_and_nothing_saved(admin_client):
    project = DonationProjectFactory()
    url = reverse("admin:donations_gift_add")
    response = admin_client.post(url, _gift_form(project, amount="-5"))
    assert response.status_code == 200
    assert not Gift.objects.exists()


def test_the_project_list_links_each_projects_gifts(admin_client):
    project = DonationProjectFactory()
    GiftFactory(project=project)
    response = admin_client.get(reverse("admin:donations_donationproject_changelist"))
    gifts_url = reverse("admin:donations_gift_changelist") + f"?project__id__exact={project.pk}"
    assert gifts_url in response.content.decode()


def test_the_gift_page_shows_its_audit_trail(client, donations_officer):
    gift = GiftFactory(amount=Decimal("100.00"))
    gift.amount = Decimal("150.00")
    gift_save(gift=gift, by=donations_officer)
    client.force_login(donations_officer)

    response = client.get(reverse("admin:donations_gift_change", args=[gift.pk]))

    page = response.content.decode()
    assert "变更记录" in page
    assert "officer" in page
    assert "100.00 → 150.00" in page
