"""The door's camera on a phone: refused, missing or unable to read QR codes, the page says so
and the typed code still checks people in; allowed, the camera starts and a ticket it reads is
checked in (screenshots test-results/checkin-camera-*.png).

Chromium runs with `--use-fake-device-for-media-stream` (a synthetic camera) and grants or
refuses the camera as a phone's user would, through the context's permissions. Headless
Chromium on Linux has no BarcodeDetector of its own (as iPhones): the page then uses the
vendored ponyfill (ZXing in WebAssembly). One test films a real ticket QR code with it
(`--use-file-for-fake-video-capture`); the others put a stand-in reader on the page before its
script runs, which reads the ticket the test holds up, only from a video really playing the
camera's stream.
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


def phone_at_the_door(browser, live_server, door, *, camera: bool, reader: str):
    """reader: "stand-in" (the test holds tickets up), "ponyfill" (the page's own, for a real
    QR code on the camera) or "none" (the ponyfill does not load, as on an old browser)."""
    activity, _guest, volunteer = door
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    if camera:
        context.grant_permissions(["camera"], origin=live_server.url)
    if reader == "stand-in":
        context.add_init_script(BARCODE_DETECTOR)
    elif reader == "none":
        context.route("**/barcode-detector/ponyfill.js", lambda route: route.abort())
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
    page = phone_at_the_door(camera_browser, live_server, door, camera=False, reader="stand-in")
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
    page = phone_at_the_door(chromium, live_server, door, camera=True, reader="stand-in")
    pages.append(page)

    page.get_by_role("button", name="用摄像头扫码").click()

    expect(page.locator("#camera-message")).to_contain_text("摄像头无法使用")
    expect(page.locator("#camera-video")).to_be_hidden()
    shot(page, "missing")
    type_the_code(page, door[1])


def test_a_browser_that_cannot_read_qr_codes_says_to_type_the_code(
    camera_browser, live_server, door, pages
):
    page = phone_at_the_door(camera_browser, live_server, door, camera=True, reader="none")
    pages.append(page)

    expect(page.locator("#camera-message")).to_contain_text("不能用摄像头读取二维码")
    expect(page.get_by_role("button", name="用摄像头扫码")).to_be_hidden()
    shot(page, "no-reader")
    type_the_code(page, door[1])


def test_the_camera_starts_and_a_ticket_it_reads_is_checked_in(
    camera_browser, live_server, door, pages
):
    _activity, guest, _volunteer = door
    page = phone_at_the_door(camera_browser, live_server, door, camera=True, reader="stand-in")
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


def film_of_a_ticket(path, code: str) -> None:
    """A Y4M video (what Chromium's fake camera plays) of the ticket's QR code held up: the
    code as the ticket page draws it (segno, error level M), on white, 640 x 480."""
    import io

    import segno
    from PIL import Image

    picture = io.BytesIO()
    segno.make(code, error="m").save(picture, kind="png", scale=10, border=4)
    qr = Image.open(io.BytesIO(picture.getvalue())).convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _frame in range(10):
            video.write(b"FRAME\n" + luma + chroma + chroma)


def test_the_camera_reads_a_real_ticket_qr_code_with_the_pages_own_reader(
    chromium, live_server, door, pages, tmp_path
):
    _activity, guest, _volunteer = door
    film = tmp_path / "ticket.y4m"
    film_of_a_ticket(film, guest.code)
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={film}",
        ],
        headless=True,
    )
    try:
        page = phone_at_the_door(browser, live_server, door, camera=True, reader="ponyfill")
        assert page.evaluate("'BarcodeDetector' in window") is False  # as on an iPhone

        page.get_by_role("button", name="用摄像头扫码").click()

        result = page.locator("#result")
        expect(result).to_have_attribute("data-outcome", "checked_in")
        expect(result).to_contain_text("林晓舟")
        shot(page, "real-qr")
        fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        wasm = [url for url in fetched if ".wasm" in url]
        assert wasm == [f"{live_server.url}/static/vendor/barcode-detector/zxing_reader.wasm"]
        guest.refresh_from_db()
        assert (guest.status, guest.checked_in_door) == (RegistrationStatus.ATTENDED, "北门")
        page.context.close()
    finally:
        browser.close()
