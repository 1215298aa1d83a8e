"""A staff member links their own WeChat in Chromium: the push page shows a QR code, the phone
opens its link and goes through WeChat's web authorization (the emulator), the admin page sees
the link by itself, and the preview goes to that WeChat (screenshots preview-link-qr.png,
preview-link-phone-confirm.png, preview-link-phone.png, preview-link-linked.png)."""

import pytest
from playwright.sync_api import expect

from tests.factories import EditorFactory, PushFactory, grant_push_permissions
from tests.wechat import conftest as wechat_fixtures
from tests.wechat.push_support import article_with_images
from wechat.models import PreviewRecipient
from wechat_emulator import openid_for

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The WeChat emulator of the wechat tests (one server, reset per test, settings pointed at it).
emulator_server = wechat_fixtures.emulator_server
emulator = wechat_fixtures.emulator

PHONE_OPENID = openid_for(7)


def test_staff_member_links_their_wechat_by_the_qr_code_and_previews_go_there(
    open_page,
    live_server,
    emulator,
    settings,
):
    settings.SITE_URL = live_server.url  # the address the QR code and the link carry
    editor = grant_push_permissions(
        EditorFactory(username="editor", last_name="林", first_name="晓舟")
    )
    push = PushFactory(created_by=editor, items=[article_with_images(1, title="校友返校日")])

    admin = open_page()
    log_in_to_admin(admin, editor)
    admin.set_viewport_size({"width": 1366, "height": 900})
    admin.goto(f"/admin/wechat/push/{push.pk}/change/")
    panel = admin.locator("#push-preview")
    expect(panel.get_by_text("绑定我的微信")).to_be_visible()
    expect(panel.locator("svg.preview-link-qr-code")).to_be_visible()
    expect(panel.get_by_role("button", name="发送预览到我的微信")).to_have_count(0)
    panel.screenshot(path=str(RESULTS / "preview-link-qr.png"))
    admin.screenshot(path=str(RESULTS / "preview-link-push-page.png"), full_page=True)
    link = admin.locator("#preview-link-url").get_attribute("href")
    assert link.startswith(f"{live_server.url}/wechat/link/?t=")

    emulator.state.configure(oauth_openid=PHONE_OPENID)
    phone = open_page(phone=True)  # WeChat's browser on the phone: no admin login
    phone.goto(link)
    expect(phone.get_by_text("校友返校日")).to_have_count(0)
    expect(phone.get_by_text("林晓舟在管理后台发送的微信推送预览将发到这个微信")).to_be_visible()
    phone.screenshot(path=str(RESULTS / "preview-link-phone-confirm.png"), full_page=True)
    phone.get_by_role("button", name="绑定这个微信").click()  # then WeChat's redirect and back
    expect(phone.locator("#preview-link-done")).to_contain_text(
        "林晓舟的推送预览今后会发到这个微信"
    )
    phone.screenshot(path=str(RESULTS / "preview-link-phone.png"), full_page=True)
    assert PreviewRecipient.objects.get(user=editor).openid == PHONE_OPENID

    # The QR panel notices the link by itself (it asks every few seconds) and reloads.
    expect(panel.get_by_text("预览会发到你的微信")).to_be_visible()
    expect(admin.get_by_text(PHONE_OPENID)).to_have_count(0)
    panel.screenshot(path=str(RESULTS / "preview-link-linked.png"))
    panel.get_by_role("button", name="发送预览到我的微信").click()
    expect(admin.get_by_text("预览已发送到你的微信。")).to_be_visible()
    [preview] = emulator.state.snapshot()["inbox"]
    assert (preview["kind"], preview["sample_openids"]) == ("preview", [PHONE_OPENID])


def test_unlinking_on_my_wechat_shows_the_qr_code_again(open_page, live_server):
    editor = grant_push_permissions(EditorFactory(username="editor"))
    PreviewRecipient.objects.create(user=editor, openid=PHONE_OPENID)
    page = open_page()
    log_in_to_admin(page, editor)
    page.locator("#user-tools-my-wechat").click()
    expect(page.get_by_text("预览会发到你的微信")).to_be_visible()
    page.get_by_role("button", name="解除绑定").click()
    expect(page.get_by_text("已解除绑定你的微信。")).to_be_visible()
    expect(page.locator("svg.preview-link-qr-code")).to_be_visible()
    page.screenshot(path=str(RESULTS / "preview-link-my-wechat.png"), full_page=True)
    assert not PreviewRecipient.objects.exists()
