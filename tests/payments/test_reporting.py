"""Reporting: where a gift came from (the give link's ?src=) and the finance office's CSV."""

import pytest
from django.utils import timezone

from editorial.models import State
from payments.models import OnlineOrder
from tests.factories import DonationProjectFactory
from tests.payments.support import OnlineOrderFactory

pytestmark = pytest.mark.django_db


def test_the_give_links_source_is_kept_on_the_order(client, pay_emulator):
    project = DonationProjectFactory(state=State.PUBLISHED)
    client.post(
        f"/payments/give/{project.pk}/?src=push:42",
        {"preset": "100", "donor_name": "林晓舟"},
    )
    assert OnlineOrder.objects.get().source == "push:42"


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


def _paid_order(settings, **fields):
    from payments.gateway import Transaction
    from payments.services import order_record_payment
    from tests.payments.support import transaction_resource

    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = "1900000999", "wx-pay-test-app"
    order = OnlineOrderFactory(**fields)
    now = timezone.localtime()
    resource = transaction_resource(order, settings, success_time=now.isoformat())
    return order_record_payment(transaction_data=Transaction.from_json(resource), via="query")


def test_the_report_sums_paid_gifts_by_project_source_and_day(client, donations_officer, settings):
    project = DonationProjectFactory(state=State.PUBLISHED, title="启航奖学金")
    _paid_order(settings, project=project, amount_fen=10001, source="push-1")
    _paid_order(settings, project=project, amount_fen=20000, source="push-1")
    _paid_order(settings, amount_fen=500, source="")
    OnlineOrderFactory(project=project, amount_fen=99999)  # not paid
    client.force_login(donations_officer)
    page = client.get("/admin/payments/onlineorder/report/").content.decode()
    assert "启航奖学金</th><td>2</td><td>¥300.01" in page
    assert "push-1</th><td>2</td><td>¥300.01" in page
    assert "<td>3</td><td>¥305.01" in page


def test_the_report_costs_the_same_queries_for_more_gifts(client, donations_officer, settings):
    client.force_login(donations_officer)
    _paid_order(settings)
    few = _admin_queries(client, "/admin/payments/onlineorder/report/")
    for n in range(5):
        _paid_order(settings, source=f"qr-{n}")
    assert _admin_queries(client, "/admin/payments/onlineorder/report/") == few


def test_an_editor_cannot_see_the_report(client, editor):
    client.force_login(editor)
    assert client.get("/admin/payments/onlineorder/report/").status_code in (302, 403)
