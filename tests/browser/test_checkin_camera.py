"""The door's camera on a phone: refused, missing or unable to read QR codes, the page says so
and the typed code still checks people in; allowed, the camera starts and a ticket it reads is
checked in (screenshots test-results/checkin-camera-*.png).

Chromium runs with `--use-fake-device-for-media-stream` (a synthetic camera) and grants or
refuses the camera as a phone's user would, through the context's permissions. Headless
Chromium on Linux has no BarcodeDetector (Chrome has it on Android), so where the test needs one
it puts a stand-in on the page before the page's script runs: it reads the ticket the test
holds up, and only from a video that is really playing the camera's stream.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import RegistrationStatus
from editorial.models import State
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, RESULTS, TIMEOUT_MS
from tests.browser.support import log_in_to_admin
from tests.factories import ActivityFactory, RegistrationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A QR reader for the page: detect() answers the code the test put in window.heldUpTicket (as
# long as it is held up, as a camera reads a ticket many times a second), and only when it is
# given a video element playing a camera stream.
BARCODE_DETECTOR = """
window.heldUpTicket = null;
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  async detect(source) {
    const live = source instanceof HTMLVideoElement && source.srcObject
      && source.srcObject.getVideoTracks().some(t => t.readyState === "live")
      && source.readyState >= 2 && source.videoWidth > 0;
    if (!live || !window.heldUpTicket) return [];
    return [{ rawValue: window.heldUpTicket, format: "qr_code" }];
  }
};
"""


@pytest.fixture(scope="module")
def camera_browser(chromium):
    """A second Chromium with a synthetic camera (the package's has none)."""
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"],
        headless=True,
    )
    yield browser
    browser.close()


@pytest.fixture
def door(live_server):
    """An activity starting in an hour with one confirmed guest, and a volunteer who may only
    check people in."""
    starts = timezone.now() + timedelta(hours=1)
    activity = ActivityFactory(
        state=State.PUBLISHED, title="上海校友迎新会", starts_at=starts, announced_starts_at=starts
    )
    guest = RegistrationFactory(activity=activity, name="林晓舟", class_year=2008)
    volunteer = UserFactory(username="door", is_staff=True)
    volunteer.user_permissions.add(Permission.objects.get(codename="check_in_registration"))
    return activity, guest, volunteer


def phone_at_the_door(browser, live_server, door, *, camera: bool, reader: bool):
    activity, _guest, volunteer = door
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    if camera:
        context.grant_permissions(["camera"], origin=live_server.url)
    if reader:
        context.add_init_script(BARCODE_DETECTOR)
    page = context.new_page()
    log_in_to_admin(page, volunteer)
    page.goto(f"/admin/activities/activity/{activity.pk}/checkin/?door=北门")
    expect(page.locator("#door-name")).to_have_text("北门")
    return page


def type_the_code(page, guest) -> None:
    code = page.get_by_label("票号")
    code.fill(guest.code)
    code.press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-outcome", "checked_in")
    expect(page.locator("#result")).to_contain_text("林晓舟")
    guest.refresh_from_db()
    assert guest.status == RegistrationStatus.ATTENDED


def shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"checkin-camera-{name}.png", full_page=True)


@pytest.fixture
def pages():
    opened = []
    yield opened
    for page in opened:
        page.context.close()


def test_a_refused_camera_is_explained_and_the_typed_code_still_works(
    camera_browser, live_server, door, pages
):
    page = phone_at_the_door(camera_browser, live_server, door, camera=False, reader=True)
    pages.append(page)

    page.get_by_role("button", name="用摄像头扫码").click()

    expect(page.locator("#camera-message")).to_contain_text("摄像头未获允许")
    expect(page.locator("#camera-message")).to_contain_text("输入票号")
    expect(page.locator("#camera-video")).to_be_hidden()
    expect(page.get_by_role("button", name="用摄像头扫码")).to_be_visible()
    expect(page.get_by_label("票号")).to_be_focused()
    shot(page, "refused")
    type_the_code(page, door[1])


def test_a_phone_without_a_camera_is_told_so_and_the_typed_code_still_works(
    chromium, live_server, door, pages
):
    # The package's Chromium has no camera device at all.
    page = phone_at_the_door(chromium, live_server, door, camera=True, reader=True)
    pages.append(page)

    page.get_by_role("button", name="用摄像头扫码").click()

    expect(page.locator("#camera-message")).to_contain_text("摄像头无法使用")
    expect(page.locator("#camera-video")).to_be_hidden()
    shot(page, "missing")
    type_the_code(page, door[1])


def test_a_browser_that_cannot_read_qr_codes_says_to_type_the_code(
    camera_browser, live_server, door, pages
):
    page = phone_at_the_door(camera_browser, live_server, door, camera=True, reader=False)
    pages.append(page)

    expect(page.locator("#camera-message")).to_contain_text("不能用摄像头读取二维码")
    expect(page.get_by_role("button", name="用摄像头扫码")).to_be_hidden()
    shot(page, "no-reader")
    type_the_code(page, door[1])


def test_the_camera_starts_and_a_ticket_it_reads_is_checked_in(
    camera_browser, live_server, door, pages
):
    _activity, guest, _volunteer = door
    page = phone_at_the_door(camera_browser, live_server, door, camera=True, reader=True)
    pages.append(page)

    page.get_by_role("button", name="用摄像头扫码").click()
    expect(page.locator("#camera-video")).to_be_visible()
    page.wait_for_function("document.getElementById('camera-video').videoWidth > 0")
    expect(page.locator("#camera-message")).to_contain_text("二维码对准摄像头")
    page.evaluate("code => { window.heldUpTicket = code; }", guest.code)

    result = page.locator("#result")
    expect(result).to_have_attribute("data-outcome", "checked_in")
    expect(result).to_contain_text("林晓舟")
    expect(page.locator("#checkin-count")).to_have_text("已签到 1 / 1")
    shot(page, "scanned")
    guest.refresh_from_db()
    assert (guest.status, guest.checked_in_door) == (RegistrationStatus.ATTENDED, "北门")

    page.wait_for_timeout(1000)  # still held up: read again and again, sent once
    expect(result).to_have_attribute("data-outcome", "checked_in")
    page.evaluate("window.heldUpTicket = null")

    page.get_by_role("button", name="关闭摄像头").click()
    expect(page.locator("#camera-video")).to_be_hidden()
    assert page.evaluate(
        "document.getElementById('camera-video').srcObject"
        ".getVideoTracks().every(t => t.readyState === 'ended')"
    )
