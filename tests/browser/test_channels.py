"""Channel QR codes in Chromium (issue 13 item 4): the office creates a channel, sees its QR
code, people scan it (simulated through the WeChat emulator, whose events reach the live
site's callback), and the dashboard's channel panel shows the followers it brought."""

import time

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401 (fixtures)
from wechat.channels.models import Channel, ChannelScan
from wechat_emulator import EmulatorClient

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_for_scans(scanner: EmulatorClient, count: int) -> None:
    """Wait until the emulator has delivered `count` callbacks (one per scan) and has none in
    flight, then count the scans.

    The database is read only once the live server is idle: the tests' SQLite database is shared
    in memory, where a read while the server writes fails the write ("table is locked") instead
    of waiting as a file database does.
    """
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = scanner.state()["callbacks"]
        if len(sent) >= count and all(entry["status"] is not None for entry in sent):
            break
        time.sleep(0.05)
    assert ChannelScan.objects.count() == count


def test_a_channel_is_created_scanned_and_counted_on_the_dashboard(
    open_page,
    emulator,  # noqa: F811 (the fixture imported above)
    live_server,
):
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    office = UserFactory(username="office", is_staff=True, is_superuser=True)
    page = open_page()
    log_in_to_admin(page, office)

    page.goto("/admin/wechat_channels/channel/add/")
    page.get_by_label("名称").fill("北京校友会迎新")
    page.locator("#id_kind").select_option("branch")
    page.get_by_role("button", name="保存并继续编辑").click()
    code = page.locator(".channel-code")
    expect(code.locator("svg")).to_be_visible()
    expect(code.get_by_role("link", name="下载 PNG")).to_be_visible()
    expect(code.get_by_role("link", name="打印页")).to_be_visible()
    page.screenshot(path=str(RESULTS / "channel-qr.png"), full_page=True)

    channel = Channel.objects.get()
    page.goto(f"/admin/wechat_channels/channel/{channel.pk}/print/")
    expect(page.get_by_role("heading", name="北京校友会迎新")).to_be_visible()
    expect(page.locator("svg.channel-qr")).to_be_visible()
    page.screenshot(path=str(RESULTS / "channel-print.png"))
    scanner = EmulatorClient(emulator.url)
    # One at a time: the live server's in-memory SQLite takes one writer at once.
    for n in range(3):
        scanner.qrcode_scan(ticket=channel.ticket, new=True)
        _wait_for_scans(scanner, n + 1)
    scanner.qrcode_scan(ticket=channel.ticket, openid=None)
    _wait_for_scans(scanner, 4)

    page.goto("/admin/wechat_channels/channel/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("北京校友会迎新")
    expect(row.locator("td.field-scan_count")).to_have_text("4")
    expect(row.locator("td.field-follower_count")).to_have_text("3")

    page.goto("/admin/dashboard/?days=7")
    panel = page.locator("#table-channel-followers-by-day")
    line = panel.locator('polyline[data-series="北京校友会迎新"]')
    expect(line).to_have_attribute("data-total", "3")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(RESULTS / "channel-dashboard.png"))
