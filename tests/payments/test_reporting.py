"""Reporting: where a gift came from (the give link's ?src=) and the finance office's CSV."""

import pytest

from editorial.models import State
from payments.models import OnlineOrder
from tests.factories import DonationProjectFactory
from tests.payments.support import OnlineOrderFactory

pytestmark = pytest.mark.django_db


def test_the_give_links_source_is_kept_on_the_order(client, pay_emulator):
    project = DonationProjectFactory(state=State.PUBLISHED)
    client.post(
        f"/payments/give/{project.pk}/?src=push-42",
        {"preset": "100", "donor_name": "林晓舟"},
    )
    assert OnlineOrder.objects.get().source == "push-42"


def test_a_source_that_is_not_a_plain_name_is_dropped(client, pay_emulator):
    project = DonationProjectFactory(state=State.PUBLISHED)
    client.post(
        f"/payments/give/{project.pk}/?src=<script>", {"preset": "100", "donor_name": "林晓舟"}
    )
    assert OnlineOrder.objects.get().source == ""


def test_the_finance_csv_opens_in_excel_and_quotes_formulas(client, donations_officer):
    OnlineOrderFactory(donor_name="=HYPERLINK(1)", amount_fen=12345, source="qr-7")
    client.force_login(donations_officer)
    response = client.post(
        "/admin/payments/onlineorder/",
        {"action": "export_csv", "_selected_action": [OnlineOrder.objects.get().pk]},
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff订单号,")
    assert "123.45" in text and "qr-7" in text
    assert "'=HYPERLINK(1)" in text
