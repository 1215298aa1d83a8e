import pytest
from django.utils import translation

from tests.wechat.support import api_calls
from wechat.errors import (
    DuplicateSendError,
    InvalidRequestError,
    QuotaError,
    RetryableError,
    TokenError,
)
from wechat_emulator import EmulatorClient


@pytest.mark.parametrize(
    ("errcode", "error_class"),
    [
        (-1, RetryableError),
        (45009, RetryableError),
        (45011, RetryableError),
        (45066, RetryableError),
        (45028, QuotaError),
        (45002, InvalidRequestError),
        (40007, InvalidRequestError),
        (48001, InvalidRequestError),
    ],
)
def test_injected_errcode_maps_to_its_error_class(emulator, gateway, errcode, error_class):
    EmulatorClient(emulator.url).set_faults(
        error_rate=1.0, error_codes=[errcode], paths=["cgi-bin/tags/get"]
    )
    with pytest.raises(error_class) as caught:
        gateway.tags_list()
    assert caught.value.errcode == errcode
    assert not isinstance(caught.value, TokenError)


def test_duplicate_send_error_carries_the_existing_msg_id(emulator, gateway, make_draft):
    media_id = make_draft()
    emulator.state.set_faults(
        error_rate=1.0,
        error_codes=[45065],
        error_extra={"msg_id": 34182},
        paths=["message/mass/sendall"],
    )
    with pytest.raises(DuplicateSendError) as caught:
        gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-1")
    assert caught.value.msg_id == "34182"


def test_error_user_message_is_plain_chinese(emulator, gateway):
    emulator.state.set_faults(error_rate=1.0, error_codes=[45002], paths=["cgi-bin/tags/get"])
    with pytest.raises(InvalidRequestError) as caught:
        gateway.tags_list()
    assert caught.value.user_message == "文章正文超出微信的长度限制（少于 20,000 字且小于 1 MB）。"
    with translation.override("en"):
        assert caught.value.user_message.startswith("The article body is too long")


def test_unknown_errcode_message_names_the_code(emulator, gateway):
    emulator.state.set_faults(error_rate=1.0, error_codes=[88888], paths=["cgi-bin/tags/get"])
    with pytest.raises(InvalidRequestError) as caught:
        gateway.tags_list()
    assert caught.value.user_message == "微信拒绝了请求（错误码 88888）。"


def test_http_5xx_is_retryable(emulator, gateway):
    emulator.state.set_faults(http_error_rate=1.0, http_status=502, paths=["cgi-bin/tags/get"])
    with pytest.raises(RetryableError) as caught:
        gateway.tags_list()
    assert caught.value.errcode is None
    assert caught.value.user_message == "无法连接微信，系统稍后会自动重试。"


def test_http_4xx_is_an_invalid_request_and_not_retried(emulator, gateway):
    gateway.tags_list()
    emulator.state.set_faults(http_error_rate=1.0, http_status=404, paths=["cgi-bin/tags/get"])
    with pytest.raises(InvalidRequestError) as caught:
        gateway.tags_list()
    assert caught.value.errcode is None
    assert api_calls(emulator, "cgi-bin/tags/get") == 2


def test_timeout_is_retryable(emulator, settings):
    from wechat.gateway import WeChatGateway

    settings.WECHAT_TIMEOUT = 0.2
    gateway = WeChatGateway()
    gateway.tags_list()  # the token first, without latency
    emulator.state.set_faults(latency_ms=600, paths=["cgi-bin/tags/get"])
    with pytest.raises(RetryableError):
        gateway.tags_list()


def test_faults_can_be_limited_to_a_number_of_calls(emulator, gateway):
    emulator.state.set_faults(error_rate=1.0, error_codes=[-1], times=1)
    with pytest.raises(RetryableError):
        gateway.tags_list()
    assert [tag.id for tag in gateway.tags_list()] == [2]
