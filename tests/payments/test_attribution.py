"""Gifts attributed to the push or QR channel that led to them (issue 15 item 6): a push's
"阅读原文" link to a donation project carries ?src=push:<id>, a QR channel of a project offers a
give link with ?src=qr:<scene>; the project page passes a valid src on to its give link, the
order records it, and the dashboard counts the gift under the push's or channel's name."""

import re
import time
from urllib.parse import urlsplit

import factory
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from core.attribution import clean_source, with_source
from donations.models import DonationProject
from editorial.models import State
from payments.models import OnlineOrder, OrderState
from payments.tasks import orders_query_late_task
from tests.factories import DonationProjectFactory, DonationsOfficerFactory
from tests.stats.conftest import view_cache  # noqa: F401 - the page cache's own cache
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401 - the WeChat emulator
from tests.wechat.push_support import approved_push, run_push
from wechat.channels.models import Channel, ChannelKind
from wechat.gateway import WeChatGateway

pytestmark = pytest.mark.django_db

GIVE = {"preset": "other", "other_amount": "66.60", "donor_name": "顾明澜", "message": ""}
JUNK = [
    "push:",
    "push:abc",
    "push:12345678901",
    "qr:",
    "qr:a b",
    "qr:" + "a" * 65,
    "channel:branch-sh",
    "push:1<script>",
    "qr:x\nhacked",
    "https://evil.example/",
]


class PushableProjectFactory(DonationProjectFactory):
    state = State.PUBLISHED
    cover = factory.django.ImageField(width=900, height=500, format="JPEG", color="teal")


@pytest.fixture
def project(pay_emulator):
    return PushableProjectFactory(title="图书馆修缮")


def _give_links(page: str) -> list[str]:
    return re.findall(r'href="(/payments/give/[^"]*)"', page)


@pytest.mark.parametrize("value", ["push:1", "push:4294967295", "qr:branch-sh", "qr:A_b-9"])
def test_a_push_or_a_qr_scene_is_a_source(value):
    assert clean_source(value) == value


@pytest.mark.parametrize("value", JUNK)
def test_anything_else_is_no_source(value):
    assert clean_source(value) == ""
    assert with_source("/payments/give/1/", value) == "/payments/give/1/"


def test_the_project_page_passes_a_valid_src_on_to_its_give_links(client, project):
    page = client.get(f"/donations/{project.pk}/?src=push:42").content.decode()
    assert _give_links(page) == [f"/payments/give/{project.pk}/?src=push:42"] * 2


@pytest.mark.parametrize("value", JUNK)
def test_the_project_page_drops_a_junk_src(client, project, value):
    page = client.get(f"/donations/{project.pk}/", {"src": value}).content.decode()
    assert _give_links(page) == [f"/payments/give/{project.pk}/"] * 2


def test_a_cached_project_page_never_shows_another_visitors_src(
    client,
    project,
    view_cache,  # noqa: F811
    settings,
):
    settings.STATS_PAGE_CACHE_SECONDS = 60
    client.get(f"/donations/{project.pk}/?src=qr:branch-sh")
    plain = client.get(f"/donations/{project.pk}/").content.decode()
    other = client.get(f"/donations/{project.pk}/?src=push:7").content.decode()
    assert _give_links(plain) == [f"/payments/give/{project.pk}/"] * 2
    assert _give_links(other) == [f"/payments/give/{project.pk}/?src=push:7"] * 2


def test_the_order_records_the_src_of_the_give_link(client, project):
    client.post(f"/payments/give/{project.pk}/?src=qr:branch-sh", GIVE)
    assert OnlineOrder.objects.get().source == "qr:branch-sh"


@pytest.mark.parametrize("value", JUNK)
def test_a_junk_src_is_not_stored(client, project, value):
    client.post(f"/payments/give/{project.pk}/?{urlencode({'src': value})}", GIVE)
    assert OnlineOrder.objects.get().source == ""


def test_a_gift_through_a_push_is_counted_under_the_push(
    client,
    project,
    pay_emulator,
    emulator,  # noqa: F811
    push_editor,
    push_reviewer,
    settings,
):
    # The push: its article's "阅读原文" link carries the push.
    emulator.state.configure(consume_draft_on_send=False)
    push = approved_push([project], editor=push_editor, reviewer=push_reviewer)
    push = run_push(push)
    [draft] = emulator.state.snapshot()["drafts"]
    [sent] = WeChatGateway().get_draft(draft["media_id"])
    assert (
        sent.content_source_url == f"{settings.SITE_URL}/donations/{project.pk}/?src=push:{push.pk}"
    )
    assert push.items.get().source_url == sent.content_source_url

    # The reader follows it, gives on the project's give link, pays with WeChat Pay.
    link = urlsplit(sent.content_source_url)
    page = client.get(f"{link.path}?{link.query}").content.decode()
    give = _give_links(page)[0]
    response = client.post(give, GIVE)
    order = OnlineOrder.objects.get()
    assert response.url == reverse("payments:pay", args=[order.out_trade_no])
    assert order.source == f"push:{push.pk}"
    # WeChat Pay's notification is lost here (no live server): the late-order query records it.
    pay_emulator.state.set_faults(lose_notifications=1)
    pay_emulator.state.pay(order.out_trade_no)
    time.sleep(0.3)
    OnlineOrder.objects.filter(pk=order.pk).update(next_query_at=timezone.now())
    assert orders_query_late_task() == 1
    order.refresh_from_db()
    assert (order.state, order.gift.project) == (OrderState.PAID, project)

    # The dashboard names the push.
    client.force_login(DonationsOfficerFactory(is_staff=True))
    dashboard = client.get("/admin/dashboard/?days=7").content.decode()
    assert f"推送：{push}" in _block(dashboard, "online-by-channel")


def _block(page: str, slug: str) -> str:
    start = page.index(f'id="table-{slug}"')
    return page[start : page.index("</table>", start)]


def test_a_qr_channel_of_a_project_offers_a_give_link_with_its_scene(
    admin_client, project, settings
):
    channel = _channel(project, scene="poster-2026")
    page = admin_client.get(f"/admin/wechat_channels/channel/{channel.pk}/change/").content.decode()
    url = f"{settings.SITE_URL}/payments/give/{project.pk}/?src=qr:poster-2026"
    assert "捐赠链接" in page
    assert f'href="{url}"' in page
    assert page.count("<svg") >= 1
    png = admin_client.get(f"/admin/wechat_channels/channel/{channel.pk}/give.png")
    assert (png.status_code, png["Content-Type"]) == (200, "image/png")


def test_a_channel_of_no_donation_project_has_no_give_link(admin_client):
    channel = Channel.objects.create(name="上海校友会", kind=ChannelKind.BRANCH, scene="branch-sh")
    page = admin_client.get(f"/admin/wechat_channels/channel/{channel.pk}/change/").content.decode()
    assert "捐赠链接" not in page
    png = admin_client.get(f"/admin/wechat_channels/channel/{channel.pk}/give.png")
    assert png.status_code == 404


def _channel(project: DonationProject, *, scene: str) -> Channel:
    return Channel.objects.create(
        name="校庆海报",
        kind=ChannelKind.POSTER,
        scene=scene,
        content_type=ContentType.objects.get_for_model(DonationProject),
        object_id=project.pk,
    )
