"""Parametric QR codes through the gateway against the emulator (CONTRACT.md §15)."""

import urllib.error
import urllib.request

import pytest

from wechat.errors import InvalidRequestError, RetryableError
from wechat.gateway import QR_EXPIRE_MAX_SECONDS, WeChatGateway
from wechat_emulator import EmulatorClient


def test_a_temporary_code_has_its_ticket_url_and_lifetime(gateway, emulator):
    code = gateway.qrcode_create(scene="branch-shanghai", expire_seconds=3600)
    assert code.ticket and code.url.startswith("http://weixin.qq.com/q/")
    assert code.expire_seconds == 3600
    [stored] = emulator.state.snapshot()["qrcodes"]
    assert (stored["action"], stored["scene"], stored["permanent"]) == (
        "QR_STR_SCENE",
        "branch-shanghai",
        False,
    )


def test_a_permanent_code_has_no_lifetime(gateway, emulator):
    code = gateway.qrcode_create(scene="poster-2026")
    assert code.expire_seconds is None
    assert emulator.state.snapshot()["qrcodes"][0]["action"] == "QR_LIMIT_STR_SCENE"


def test_an_integer_scene_makes_a_scene_id_code(gateway, emulator):
    gateway.qrcode_create(scene=42)
    assert emulator.state.snapshot()["qrcodes"][0]["action"] == "QR_LIMIT_SCENE"


@pytest.mark.parametrize(
    ("scene", "expire"),
    [("", None), ("x" * 65, None), (0, None), (100_001, None), ("ok", 0),
     ("ok", QR_EXPIRE_MAX_SECONDS + 1)],
)  # fmt: skip
def test_out_of_range_codes_are_refused_before_the_call(gateway, emulator, scene, expire):
    with pytest.raises(InvalidRequestError):
        gateway.qrcode_create(scene=scene, expire_seconds=expire)
    assert "cgi-bin/qrcode/create" not in emulator.state.snapshot()["counters"]


def test_the_emulator_refuses_a_long_scene_str_itself(emulator):
    """The emulator is as strict as WeChat on its own, whatever a client checks."""
    answer = emulator.state.handle(
        "POST",
        "/cgi-bin/qrcode/create",
        {"access_token": _token(emulator)},
        b'{"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "'
        + b"x" * 65
        + b'"}}}',
    )
    assert answer["errcode"] == 40097


def test_the_permanent_code_limit_is_enforced(gateway, emulator):
    emulator.state.configure(qrcode_permanent_max=2)
    gateway.qrcode_create(scene="a")
    gateway.qrcode_create(scene="b")
    gateway.qrcode_create(scene="a")  # the same scene again: the same code, not a new one
    with pytest.raises(InvalidRequestError) as error:
        gateway.qrcode_create(scene="c")
    assert error.value.errcode == 45029


def test_a_busy_wechat_is_retryable(gateway, emulator):
    emulator.state.set_faults(error_rate=1.0, error_codes=[-1], paths=["qrcode/create"])
    with pytest.raises(RetryableError):
        gateway.qrcode_create(scene="busy")


def test_showqrcode_serves_the_png_of_a_live_ticket(gateway, emulator):
    code = gateway.qrcode_create(scene="img", expire_seconds=60)
    url = gateway.qrcode_image_url(code.ticket)
    assert url.startswith(emulator.url + "/cgi-bin/showqrcode?ticket=")
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.read().startswith(b"\x89PNG")
    emulator.state.advance_clock(61)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url, timeout=5)
    assert error.value.code == 404


def test_the_image_url_is_mp_weixin_for_the_real_wechat(settings):
    gateway = WeChatGateway(base_url="https://api.weixin.qq.com", app_id="wx1", app_secret="s")
    assert gateway.qrcode_image_url("a/b+c") == (
        "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=a%2Fb%2Bc"
    )


def test_scanning_an_expired_code_is_refused(gateway, emulator):
    code = gateway.qrcode_create(scene="short", expire_seconds=60)
    emulator.state.advance_clock(61)
    client = EmulatorClient(emulator.url)
    with pytest.raises(Exception, match="expired"):
        client.qrcode_scan(ticket=code.ticket)


def _token(emulator) -> str:
    return WeChatGateway().tokens.get()
