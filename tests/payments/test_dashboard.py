"""The dashboard's online-giving panel: paid online gifts per project, per channel that led to
them (a push's or a channel QR code's name) and per day, for those who may see online orders
only, in a constant number of queries."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations.models import Gift
from editorial.models import State
from payments.models import OnlineOrder, OrderState
from tests.factories import (
    DonationProjectFactory,
    DonationsOfficerFactory,
    EditorFactory,
    OfficeAdminFactory,
    PushFactory,
)
from tests.payments.support import OnlineOrderFactory
from wechat.channels.models import Channel, ChannelKind

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


def paid(project, fen: int, *, source: str = "", days_ago: int = 0) -> OnlineOrder:
    when = timezone.now() - timedelta(days=days_ago)
    order = OnlineOrderFactory(project=project, amount_fen=fen, source=source)
    gift = Gift.objects.create(
        project=project,
        amount=order.amount,
        donor_name="林晓舟",
        donated_on=timezone.localdate(when),
    )
    OnlineOrder.objects.filter(pk=order.pk).update(gift=gift, state=OrderState.PAID, paid_at=when)
    return order


@pytest.fixture
def library():
    return DonationProjectFactory(state=State.PUBLISHED, title="图书馆修缮")


@pytest.fixture
def gifts(library):
    push = PushFactory(title="校庆特刊推送")
    Channel.objects.create(name="上海校友会", kind=ChannelKind.BRANCH, scene="branch-sh")
    paid(library, 123450, source=f"push:{push.pk}")
    paid(library, 10000, source="channel:branch-sh", days_ago=1)
    paid(library, 5000)
    OnlineOrderFactory(project=library, amount_fen=99900)  # not paid: not counted
    return push


def _block(page: str, slug: str) -> str:
    """What a person reads of the block `slug` (attribute values left out)."""
    start = page.index(f'id="table-{slug}"')
    return re.sub(r'"[^"]*"', '""', page[start : page.index("</table>", start)])


@pytest.fixture
def officer_client(client):
    client.force_login(DonationsOfficerFactory(is_staff=True))
    return client


def test_the_officer_sees_gifts_and_amounts_per_project(officer_client, gifts):
    page = officer_client.get(f"{URL}?days=7").content.decode()
    block = _block(page, "online-by-project")
    assert "图书馆修缮" in block
    assert '<td class="">3</td><td class="">1,384.50</td>' in block


def test_the_channel_is_named_when_it_is_a_push_or_a_qr_code(officer_client, gifts):
    block = _block(officer_client.get(f"{URL}?days=7").content.decode(), "online-by-channel")
    assert "校庆特刊推送" in block
    assert "1,234.50" in block
    assert "上海校友会" in block
    assert "100.00" in block
    assert "直接" in block or "Direct" in block


def test_gifts_per_day_fall_on_their_days(officer_client, gifts):
    response = officer_client.get(f"{URL}?days=7")
    table = {
        row[0]: row[1:]
        for row in next(
            block["table"].rows
            for _heading, blocks in response.context["sections"]
            for block in blocks
            if block["table"].slug == "online-by-day"
        )
    }
    today = timezone.localdate()
    assert table[today.isoformat()] == [2, Decimal("1284.50")]
    assert table[(today - timedelta(days=1)).isoformat()] == [1, Decimal("100.00")]


def test_the_panel_has_the_dashboards_charts(officer_client, gifts):
    page = officer_client.get(f"{URL}?days=7").content.decode()
    start = page.index('id="table-online-by-day"')
    assert "<svg" in page[start : page.index("</table>", start)]


def test_an_editor_without_the_permission_sees_no_online_amounts(client, gifts):
    client.force_login(EditorFactory(is_staff=True))
    page = client.get(f"{URL}?days=7").content.decode()
    assert "table-online-by-project" not in page
    # Editors see gifts (editorial/roles.py), not online orders and where they came from.
    assert "table-online-by-channel" not in page
    assert "table-online-by-day" not in page


def test_an_editor_cannot_export_the_online_tables(client, gifts):
    client.force_login(EditorFactory(is_staff=True))
    assert client.get("/admin/dashboard/export/online-by-channel.csv").status_code == 403


def test_the_officer_exports_the_online_tables(officer_client, gifts):
    response = officer_client.get("/admin/dashboard/export/online-by-channel.csv?days=7")
    assert response.status_code == 200
    assert "校庆特刊推送" in response.content.decode("utf-8-sig")


def test_the_query_count_does_not_grow_with_the_gifts(client, library):
    client.force_login(OfficeAdminFactory(is_staff=True))
    push = PushFactory()
    Channel.objects.create(name="北京校友会", kind=ChannelKind.BRANCH, scene="branch-bj")
    paid(library, 100, source=f"push:{push.pk}")
    paid(library, 100, source="qr:branch-bj")

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{URL}?days=30").status_code == 200
        return len(captured)

    few = count()
    for n in range(6):
        other = DonationProjectFactory(state=State.PUBLISHED)
        more = PushFactory()
        Channel.objects.create(name=f"渠道{n}", kind=ChannelKind.POSTER, scene=f"poster-{n}")
        paid(other, 200 + n, source=f"push:{more.pk}", days_ago=n)
        paid(other, 300 + n, source=f"channel:poster-{n}", days_ago=n + 1)
    assert count() == few
