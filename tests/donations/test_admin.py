from decimal import Decimal

import pytest
from django.urls import reverse

from donations.models import Gift
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


def _project_form(project, **gift):
    data = {
        "title": project.title,
        "digest": project.digest,
        "body": project.body,
        "goal": str(project.goal),
        "deadline": "",
        "publish_at_0": "",
        "publish_at_1": "",
        "gifts-TOTAL_FORMS": "1",
        "gifts-INITIAL_FORMS": "0",
        "gifts-MIN_NUM_FORMS": "0",
        "gifts-MAX_NUM_FORMS": "1000",
    }
    data.update({f"gifts-0-{k}": v for k, v in gift.items()})
    return data


def test_a_gift_can_be_added_to_a_published_project(admin_client):
    project = DonationProjectFactory(state=State.PUBLISHED)
    url = reverse("admin:donations_donationproject_change", args=[project.pk])
    gift = {"donor_name": "陈校友", "amount": "88.80", "donated_on": "2025-05-01"}
    response = admin_client.post(url, _project_form(project, channel="bank", **gift))
    assert response.status_code == 302
    assert Gift.objects.get(project=project).amount == Decimal("88.80")


def test_a_gift_with_a_negative_amount_is_refused_and_nothing_saved(admin_client):
    project = DonationProjectFactory()
    url = reverse("admin:donations_donationproject_change", args=[project.pk])
    gift = {"donor_name": "陈校友", "amount": "-5", "donated_on": "2025-05-01"}
    response = admin_client.post(url, _project_form(project, channel="bank", **gift))
    assert response.status_code == 200
    assert not Gift.objects.exists()
