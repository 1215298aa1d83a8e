import re
from decimal import Decimal

import pytest
from django.utils import timezone

from editorial.models import State
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


@pytest.fixture
def large_gifts():
    project = DonationProjectFactory(
        state=State.PUBLISHED, title="体育馆修缮", goal=Decimal("9000000.00")
    )
    today = timezone.localdate()
    GiftFactory(project=project, amount=Decimal("4000000.00"), donated_on=today)
    GiftFactory(project=project, amount=Decimal("207884.00"), donated_on=today)
    return project


def _shown(page: str, slug: str) -> str:
    """What a person reads of the block `slug` (its table and chart): attribute values, which
    keep raw figures for machines, left out."""
    start = page.index(f'id="table-{slug}"')
    return re.sub(r'"[^"]*"', '""', page[start : page.index("</table>", start)])


def test_the_donation_tables_group_amounts(staff_client, large_gifts):
    page = staff_client.get(URL, {"days": 7}).content.decode()

    for slug in ("donations-by-project", "donations-by-day"):
        block = _shown(page, slug)
        assert '<td class="">4,207,884.00</td>' in block
        assert "4207884.00" not in block


def test_the_summary_groups_the_amount(staff_client, large_gifts):
    page = staff_client.get(URL, {"days": 7}).content.decode()

    assert '<strong class="summary-amount">4,207,884.00</strong>' in page
