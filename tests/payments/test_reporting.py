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


def _admin_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_online_orders_list_costs_the_same_queries_for_more_orders(client, donations_officer):
    client.force_login(donations_officer)
    OnlineOrderFactory.create_batch(2)
    few = _admin_queries(client, "/admin/payments/onlineorder/")
    OnlineOrderFactory.create_batch(8)
    assert _admin_queries(client, "/admin/payments/onlineorder/") == few


def test_the_reconciliations_list_costs_the_same_queries_for_more_days(client, donations_officer):
    from datetime import date, timedelta

    from payments.models import Discrepancy, Reconciliation

    client.force_login(donations_officer)

    def days(start, count):
        for n in range(start, start + count):
            run = Reconciliation.objects.create(bill_date=date(2026, 1, 1) + timedelta(days=n))
            Discrepancy.objects.create(reconciliation=run, kind="missing", out_trade_no=f"G{n}")

    days(0, 2)
    few = _admin_queries(client, "/admin/payments/reconciliation/")
    days(2, 8)
    assert _admin_queries(client, "/admin/payments/reconciliation/") == few
