"""A staff member links their own WeChat once (QR code / one-time link opened in WeChat, web
authorization through the emulator) and push previews go there (issue 12 item 5).

Each guard has its attack here: an unknown, expired or used token, a token made for someone
else, a callback with another state, an openid typed by someone who is not a superuser, the
openid shown anywhere in the admin.
"""

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone

from core.names import display_name
from tests.factories import EditorFactory, PushFactory, UserFactory, grant_push_permissions
from tests.wechat.push_support import article_with_images
from wechat.models import PreviewLinkToken, PreviewRecipient, PushEventKind
from wechat.services.preview_link import preview_link_complete, preview_link_create
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db

MY_WECHAT = "/admin/wechat/my-wechat/"
LINK = "/wechat/link/"
PHONE_OPENID = openid_for(7)
LINK_GONE = "链接已过期或已被使用"


def _token_in(page: str) -> str:
    return re.search(r"/wechat/link/\?t=([\w-]+)", page).group(1)


def _qr_token(client, user) -> str:
    """The token of the QR code `user` sees on "My WeChat"."""
    client.force_login(user)
    return _token_in(client.get(MY_WECHAT).content.decode())


def _confirm(phone, token):
    """The phone confirms on the link's page: our answer sends it to WeChat's authorize URL."""
    return phone.post(LINK, {"t": token})


def _through_wechat(phone, to_wechat):
    """WeChat (the emulator) authorizes and sends the phone back to our callback."""
    assert to_wechat.status_code == 302, to_wechat.content.decode()[-2000:]
    back = requests.get(to_wechat["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    url = urlsplit(back.headers["Location"])
    return phone.get(f"{url.path}?{url.query}")


def _link_on_phone(token, emulator, *, openid=PHONE_OPENID, phone=None):
    emulator.state.configure(oauth_openid=openid)
    phone = phone or Client()
    return _through_wechat(phone, _confirm(phone, token))


def _oauth_code(emulator, openid: str) -> str:
    """A web-authorization code WeChat issued to `openid` (as an attacker gets their own)."""
    emulator.state.configure(oauth_openid=openid)
    url = f"{emulator.url}/connect/oauth2/authorize?appid={emulator.state.config.app_id}"
    url += "&redirect_uri=https%3A%2F%2Fx.example%2F&response_type=code&scope=snsapi_base"
    back = requests.get(url, allow_redirects=False, timeout=5)
    return re.search(r"code=(\w+)", back.headers["Location"]).group(1)


@pytest.fixture
def linked_editor(push_editor):
    PreviewRecipient.objects.create(user=push_editor, openid=PHONE_OPENID)
    return push_editor


def _push(editor):
    return PushFactory(created_by=editor, items=[article_with_images(1)])


def _preview(client, push, **data):
    return client.post(f"/admin/wechat/push/{push.pk}/preview/", data, follow=True)


# Making the link


def test_my_wechat_shows_an_unlinked_staff_member_a_qr_code_of_a_one_time_link(client, push_editor):
    client.force_login(push_editor)
    page = client.get(MY_WECHAT).content.decode()
    assert "绑定我的微信" in page
    assert 'class="preview-link-qr-code"' in page
    token = _token_in(page)
    [row] = PreviewLinkToken.objects.all()
    assert (row.user, row.used_at) == (push_editor, None)
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()


def test_the_link_is_stored_only_as_its_digest(push_editor):
    token = preview_link_create(user=push_editor)
    stored = PreviewLinkToken.objects.values_list("digest", flat=True).get()
    assert token not in stored


def test_user_links_offer_my_wechat(client, push_editor):
    client.force_login(push_editor)
    page = client.get("/admin/").content.decode()
    assert 'id="user-tools-my-wechat"' in page and "我的微信" in page


def test_user_links_leave_out_my_wechat_for_staff_who_do_not_see_pushes(client):
    from tests.factories import DonationsOfficerFactory

    client.force_login(DonationsOfficerFactory())
    assert 'id="user-tools-my-wechat"' not in client.get("/admin/").content.decode()


def test_my_wechat_needs_an_admin_login(client):
    response = client.get(MY_WECHAT)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not PreviewLinkToken.objects.exists()


def test_a_non_staff_user_cannot_make_a_link():
    from editorial.errors import NotAllowedError

    with pytest.raises(NotAllowedError):
        preview_link_create(user=UserFactory())
    assert not PreviewLinkToken.objects.exists()


# Opening it on the phone


def test_the_link_page_names_whose_previews_and_links_nothing_by_itself(client, push_editor):
    token = _qr_token(client, push_editor)
    page = Client().get(LINK, {"t": token})
    assert page.status_code == 200
    assert "推送预览" in page.content.decode()
    assert display_name(push_editor) in page.content.decode()
    assert not PreviewRecipient.objects.exists()
    assert PreviewLinkToken.objects.get().used_at is None


def test_the_phone_links_the_wechat_of_the_user_who_made_the_link(client, push_editor, emulator):
    token = _qr_token(client, push_editor)
    done = _link_on_phone(token, emulator)  # a phone with no admin login
    assert done.status_code == 200
    assert "已绑定" in done.content.decode()
    recipient = PreviewRecipient.objects.get()
    assert (recipient.user, recipient.openid) == (push_editor, PHONE_OPENID)
    assert PreviewLinkToken.objects.get().used_at is not None


def test_the_link_page_goes_through_wechat_web_authorization(client, push_editor, emulator):
    location = _confirm(Client(), _qr_token(client, push_editor))["Location"]
    assert location.startswith(f"{emulator.url}/connect/oauth2/authorize?")
    assert "scope=snsapi_base" in location
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fwechat%2Flink%2Foauth%2F" in location


def test_a_made_up_token_is_refused(emulator):
    assert LINK_GONE in Client().get(LINK, {"t": "made-up"}).content.decode()
    response = Client().post(LINK, {"t": "made-up"})
    assert response.status_code == 400
    assert LINK_GONE in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"t": "x" * 5000}, {"t": "链接"}, {"t": ""}, {}, {"t": ["a", "b"]}],
)
def test_odd_links_get_the_chinese_message_not_an_error(emulator, query):
    for response in (Client().get(LINK, query), Client().post(LINK, query)):
        assert response.status_code == 400
        assert LINK_GONE in response.content.decode()


@pytest.mark.parametrize("query", [{}, {"code": "x" * 5000, "state": "s"}, {"state": "链接"}])
def test_odd_callbacks_get_the_chinese_message_not_an_error(emulator, query):
    response = Client().get("/wechat/link/oauth/", query)
    assert response.status_code == 400
    assert LINK_GONE in response.content.decode()


def test_a_link_works_only_once(client, push_editor, emulator):
    token = _qr_token(client, push_editor)
    _link_on_phone(token, emulator)
    again = _confirm(Client(), token)  # another phone, to link another WeChat
    assert again.status_code == 400
    assert LINK_GONE in again.content.decode()
    assert PreviewRecipient.objects.get().openid == PHONE_OPENID


def test_a_used_link_page_says_so(client, push_editor, emulator):
    token = _qr_token(client, push_editor)
    _link_on_phone(token, emulator)
    page = Client().get(LINK, {"t": token})
    assert page.status_code == 400
    assert LINK_GONE in page.content.decode()


def test_a_link_expires_after_ten_minutes(client, push_editor, emulator):
    token = _qr_token(client, push_editor)
    PreviewLinkToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(LINK, {"t": token})
    assert response.status_code == 400
    assert LINK_GONE in response.content.decode()


def test_a_link_that_expires_during_authorization_links_nothing(client, push_editor, emulator):
    token = _qr_token(client, push_editor)
    phone = Client()
    to_wechat = _confirm(phone, token)
    PreviewLinkToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    done = _through_wechat(phone, to_wechat)
    assert LINK_GONE in done.content.decode()
    assert not PreviewRecipient.objects.exists()


def test_a_link_links_its_maker_not_whoever_is_logged_in_on_the_phone(
    client, push_editor, emulator
):
    token = _qr_token(client, push_editor)
    other = grant_push_permissions(EditorFactory(username="other-editor"))
    phone = Client()
    phone.force_login(other)
    _link_on_phone(token, emulator, phone=phone)
    assert PreviewRecipient.objects.get().user == push_editor
    assert not PreviewRecipient.objects.filter(user=other).exists()


def test_a_callback_with_another_state_links_nothing(client, push_editor, emulator):
    """Login CSRF: an attacker sends the phone our callback with their own code."""
    token = _qr_token(client, push_editor)
    phone = Client()
    _confirm(phone, token)  # the person's link is pending in the phone's session
    attacker_code = _oauth_code(emulator, openid_for(13))
    response = phone.get("/wechat/link/oauth/", {"code": attacker_code, "state": "guessed"})
    assert response.status_code == 400
    assert not PreviewRecipient.objects.exists()


def test_a_callback_without_a_pending_link_links_nothing(emulator):
    code = _oauth_code(emulator, openid_for(13))
    response = Client().get("/wechat/link/oauth/", {"code": code, "state": ""})
    assert response.status_code == 400
    assert not PreviewRecipient.objects.exists()


def test_completing_twice_is_refused(push_editor):
    from editorial.errors import InvalidValueError

    token = preview_link_create(user=push_editor)
    preview_link_complete(token=token, openid=PHONE_OPENID)
    with pytest.raises(InvalidValueError):
        preview_link_complete(token=token, openid=openid_for(9))
    assert PreviewRecipient.objects.get().openid == PHONE_OPENID


# The admin once linked


def test_my_wechat_shows_the_link_date_and_never_the_openid(client, linked_editor):
    client.force_login(linked_editor)
    page = client.get(MY_WECHAT).content.decode()
    assert "预览会发到你的微信" in page
    assert 'id="preview-unlink"' in page
    assert PHONE_OPENID not in page
    assert "preview-link-qr-code" not in page
    assert not PreviewLinkToken.objects.exists()


def test_the_qr_panel_asks_whether_the_link_is_made(client, push_editor, emulator):
    client.force_login(push_editor)
    assert client.get(MY_WECHAT, {"format": "json"}).json() == {"linked": False}
    PreviewRecipient.objects.create(user=push_editor, openid=PHONE_OPENID)
    assert client.get(MY_WECHAT, {"format": "json"}).json() == {"linked": True}


def test_unlinking_forgets_the_wechat(client, linked_editor):
    client.force_login(linked_editor)
    response = client.post(MY_WECHAT, {"action": "unlink"}, follow=True)
    assert "已解除绑定" in response.content.decode()
    assert not PreviewRecipient.objects.exists()


def test_unlinking_returns_only_to_a_page_of_this_site(client, linked_editor):
    client.force_login(linked_editor)
    response = client.post(MY_WECHAT, {"action": "unlink", "next": "https://evil.example/"})
    assert response["Location"] == MY_WECHAT


def test_unlinking_returns_to_the_push_page(client, linked_editor):
    push = _push(linked_editor)
    client.force_login(linked_editor)
    back = f"/admin/wechat/push/{push.pk}/change/"
    response = client.post(MY_WECHAT, {"action": "unlink", "next": back})
    assert response["Location"] == back


# Previews


def test_push_page_shows_the_qr_panel_and_no_preview_button_when_nothing_is_linked(
    client, push_editor, emulator
):
    push = _push(push_editor)
    client.force_login(push_editor)
    page = client.get(f"/admin/wechat/push/{push.pk}/change/").content.decode()
    assert 'class="preview-link-qr-code"' in page
    assert 'id="push-preview-form"' not in page
    assert 'name="openid"' not in page


def test_push_page_shows_the_preview_button_and_the_link_when_linked(
    client, linked_editor, emulator
):
    push = _push(linked_editor)
    client.force_login(linked_editor)
    page = client.get(f"/admin/wechat/push/{push.pk}/change/").content.decode()
    assert 'id="push-preview-form"' in page
    assert "预览会发到你的微信" in page
    assert 'name="openid"' not in page
    assert PHONE_OPENID not in page


def test_preview_goes_to_the_linked_wechat(client, linked_editor, emulator):
    push = _push(linked_editor)
    client.force_login(linked_editor)
    response = _preview(client, push)
    assert "预览已发送到你的微信。" in response.content.decode()
    [preview] = emulator.state.snapshot()["inbox"]
    assert (preview["kind"], preview["sample_openids"]) == ("preview", [PHONE_OPENID])


def test_preview_is_refused_with_a_message_when_nothing_is_linked(client, push_editor, emulator):
    push = _push(push_editor)
    client.force_login(push_editor)
    response = _preview(client, push)
    assert "请先绑定你的微信" in response.content.decode()
    assert emulator.state.snapshot()["inbox"] == []


def test_an_openid_typed_by_someone_not_a_superuser_is_refused(client, linked_editor, emulator):
    push = _push(linked_editor)
    client.force_login(linked_editor)
    response = _preview(client, push, openid=openid_for(1))
    assert "只有管理员" in response.content.decode()
    assert emulator.state.snapshot()["inbox"] == []


def test_a_superuser_may_preview_to_a_typed_openid_which_is_not_remembered(
    client, push_editor, emulator
):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    push = _push(push_editor)
    client.force_login(admin)
    page = client.get(f"/admin/wechat/push/{push.pk}/change/").content.decode()
    assert 'id="push-preview-openid-form"' in page
    response = _preview(client, push, openid=openid_for(1))
    assert "预览已发送到你填写的 openid。" in response.content.decode()
    [preview] = emulator.state.snapshot()["inbox"]
    assert preview["sample_openids"] == [openid_for(1)]
    assert not PreviewRecipient.objects.exists()


def test_the_timeline_does_not_show_the_openid_a_preview_went_to(client, linked_editor, emulator):
    push = _push(linked_editor)
    client.force_login(linked_editor)
    _preview(client, push)
    event = push.events.get(kind=PushEventKind.PREVIEWED)
    assert PHONE_OPENID not in event.detail
    page = client.get(f"/admin/wechat/push/{push.pk}/change/").content.decode()
    assert PHONE_OPENID not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_phones_completing_one_link_at_once_link_one_wechat(
    postgres_only, push_editor, monkeypatch
):
    import threading
    import time

    from django.db import connection

    from editorial.errors import InvalidValueError

    token = preview_link_create(user=push_editor)
    linking = PreviewRecipient.objects.update_or_create

    def slow_update_or_create(**kwargs):
        time.sleep(0.3)  # a wide window between reading the token and using it up
        return linking(**kwargs)

    monkeypatch.setattr(PreviewRecipient.objects, "update_or_create", slow_update_or_create)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def complete(openid):
        start.wait()
        try:
            preview_link_complete(token=token, openid=openid)
            outcomes.append(openid)
        except InvalidValueError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=complete, args=(openid,))
        for openid in (openid_for(1), openid_for(2))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("refused") == 1
    [linked] = [o for o in outcomes if o != "refused"]
    assert PreviewRecipient.objects.get().openid == linked
