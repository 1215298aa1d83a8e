"""The gateway's template message (CONTRACT.md §16) over HTTP against the emulator, and the
emulator as strict as WeChat: service accounts only, followers only, known templates only."""

import pytest
from django.utils import translation

from wechat.constants import EMULATOR_SIGNUP_TEMPLATE
from wechat.errors import InvalidRequestError, RetryableError
from wechat.gateway import TEMPLATE_VALUE_MAX_CHARS
from wechat_emulator.api.common import openid_for

URL = "https://alumni.example.edu.cn/activities/registration/abc/"
FIELDS = {"keyword1": "北京校友年会", "keyword2": "2026-12-20 14:00"}


@pytest.fixture
def service(emulator):
    emulator.state.configure(account_type="service")
    return emulator


def _send(gateway, **changes):
    arguments = {
        "openid": openid_for(2),
        "template_id": EMULATOR_SIGNUP_TEMPLATE,
        "data": FIELDS,
        "url": URL,
        **changes,
    }
    return gateway.template_send(**arguments)


def test_a_template_message_reaches_the_follower(service, gateway):
    msgid = _send(gateway, client_msg_id="cms-notification-1")

    [message] = service.state.snapshot()["template_messages"]
    assert message["msgid"] == msgid
    assert message["touser"] == openid_for(2)
    assert message["data"] == FIELDS
    assert message["url"] == URL
    assert service.state.snapshot()["inbox"][-1]["kind"] == "template"


def test_long_values_are_cut_to_what_wechat_shows(service, gateway):
    _send(gateway, data={"keyword1": "一" * 30})

    [message] = service.state.snapshot()["template_messages"]
    assert message["data"]["keyword1"] == "一" * TEMPLATE_VALUE_MAX_CHARS


def test_a_subscription_account_may_not_send_template_messages(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        _send(gateway)

    assert caught.value.errcode == 48001
    assert emulator.state.snapshot()["template_messages"] == []


def test_an_unknown_template_is_refused(service, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        _send(gateway, template_id="no-such-template")

    assert caught.value.errcode == 40037
    with translation.override("zh-hans"):
        assert "消息模板" in caught.value.user_message


@pytest.mark.parametrize("openid", ["not-an-openid", openid_for(10_000), ""])
def test_an_openid_that_is_not_of_this_account_is_refused(service, gateway, openid):
    with pytest.raises(InvalidRequestError) as caught:
        _send(gateway, openid=openid)

    assert caught.value.errcode == 40003


def test_a_follower_who_left_is_refused(service, gateway):
    service.state.unsubscribe(openid_for(2))

    with pytest.raises(InvalidRequestError) as caught:
        _send(gateway)

    assert caught.value.errcode == 43004
    with translation.override("zh-hans"):
        assert "未关注" in caught.value.user_message


def test_wechat_busy_is_retryable(service, gateway):
    service.state.set_faults(
        error_rate=1.0, error_codes=[-1], paths=["cgi-bin/message/template/send"], times=1
    )

    with pytest.raises(RetryableError):
        _send(gateway)


def test_a_repeat_with_the_same_client_msg_id_is_delivered_once(service, gateway):
    service.state.set_faults(
        drop_after_commit_rate=1.0, paths=["cgi-bin/message/template/send"], times=1
    )
    with pytest.raises(RetryableError):
        _send(gateway, client_msg_id="cms-notification-7")

    msgid = _send(gateway, client_msg_id="cms-notification-7")

    [message] = service.state.snapshot()["template_messages"]
    assert message["msgid"] == msgid


def test_without_a_client_msg_id_each_send_is_a_message(service, gateway):
    _send(gateway)
    _send(gateway)

    assert len(service.state.snapshot()["template_messages"]) == 2


def test_an_expired_token_is_refreshed_once(service, gateway):
    _send(gateway)
    service.state.expire_tokens()

    _send(gateway)

    assert len(service.state.snapshot()["template_messages"]) == 2


def test_the_emulator_page_lists_template_messages(service, gateway, admin_client, settings):
    _send(gateway)

    page = admin_client.get("/admin/wechat/emulator/").content.decode()

    assert 'id="emulator-template-messages"' in page
    assert "北京校友年会" in page
    assert openid_for(2) in page
