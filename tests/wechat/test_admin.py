import pytest

from tests.factories import UserFactory
from wechat.models import CallbackEvent
from wechat_emulator import openid_for

pytestmark = pytest.mark.django_db

EMULATOR_PAGE = "/admin/wechat/emulator/"
CHANGELIST = "/admin/wechat/callbackevent/"


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _event(n: int) -> CallbackEvent:
    return CallbackEvent.objects.create(
        dedup_key=f"event:o:{n}",
        msg_type="event",
        event="subscribe",
        from_user=openid_for(n),
        to_user="gh_test",
        sent_at="2026-01-01T00:00:00Z",
    )


def test_emulator_page_shows_the_inbox(client, superuser, emulator, gateway, make_draft):
    gateway.mass_send(media_id=make_draft(title="百年校庆"), tag_id=None, client_msg_id="cms-1")
    response = client.get(EMULATOR_PAGE)
    assert response.status_code == 200
    inbox = response.content.decode().split('id="emulator-inbox"')[1].split("</table>")[0]
    assert "百年校庆" in inbox
    assert "收件箱" in response.content.decode()


def test_emulator_page_says_when_the_emulator_is_down(client, superuser, settings):
    settings.WECHAT_API_BASE_URL = "http://127.0.0.1:9"
    response = client.get(EMULATOR_PAGE)
    assert 'id="emulator-error"' in response.content.decode()


def test_emulator_page_is_absent_without_the_emulator(client, superuser, settings):
    settings.WECHAT_EMULATOR = False
    assert client.get(EMULATOR_PAGE).status_code == 404


def test_callback_events_link_to_the_emulator_page(client, superuser):
    response = client.get(CHANGELIST)
    assert f'href="{EMULATOR_PAGE}"' in response.content.decode()


def test_callback_events_do_not_link_to_the_emulator_page_without_the_emulator(
    client, superuser, settings
):
    settings.WECHAT_EMULATOR = False
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert EMULATOR_PAGE not in response.content.decode()


def test_emulator_page_needs_the_view_permission(client, editor, emulator):
    client.force_login(editor)
    assert client.get(EMULATOR_PAGE).status_code == 403


def test_emulator_page_query_count_does_not_grow_with_the_inbox(
    superuser, emulator, gateway, make_draft, queries_for
):
    media_id = make_draft()
    gateway.mass_preview(media_id=media_id, openid=openid_for(1))
    one = queries_for(EMULATOR_PAGE)
    for n in range(2, 6):
        gateway.mass_preview(media_id=media_id, openid=openid_for(n))
    assert queries_for(EMULATOR_PAGE) == one


def test_callback_events_are_read_only(client, superuser):
    event = _event(1)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    response = client.post(f"{CHANGELIST}{event.pk}/change/", {"event": "unsubscribe"})
    event.refresh_from_db()
    assert (response.status_code, event.event) == (403, "subscribe")


def test_callback_event_list_query_count_does_not_grow(superuser, queries_for):
    _event(1)
    one = queries_for(CHANGELIST)
    for n in range(2, 8):
        _event(n)
    assert queries_for(CHANGELIST) == one
