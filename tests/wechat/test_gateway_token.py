import threading

import pytest

from tests.wechat.support import api_calls
from wechat.errors import InvalidRequestError, TokenError
from wechat.gateway import AccessTokenCache, WeChatGateway


def test_token_is_fetched_once_and_shared_by_gateways(emulator):
    WeChatGateway().followers_page()
    WeChatGateway().followers_page()
    WeChatGateway().tags_list()
    assert api_calls(emulator, "cgi-bin/stable_token") == 1
    assert api_calls(emulator, "cgi-bin/user/get") == 2


def test_concurrent_first_calls_fetch_the_token_once(emulator):
    emulator.state.set_faults(latency_ms=100, paths=["cgi-bin/stable_token"])
    errors = []

    def call():
        try:
            WeChatGateway().followers_page()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert api_calls(emulator, "cgi-bin/stable_token") == 1
    assert api_calls(emulator, "cgi-bin/user/get") == 5


def test_token_expired_mid_flow_is_refreshed_once_and_the_call_succeeds(emulator, gateway):
    gateway.followers_page()
    emulator.state.expire_tokens()
    page = gateway.followers_page()
    assert page.count == 10
    assert api_calls(emulator, "cgi-bin/stable_token") == 2
    assert api_calls(emulator, "cgi-bin/user/get") == 3  # one refused, one retried


def test_token_refused_after_refresh_raises_token_error_without_looping(emulator, gateway):
    gateway.followers_page()
    emulator.state.set_faults(error_rate=1.0, error_codes=[40001], paths=["cgi-bin/user/get"])
    with pytest.raises(TokenError):
        gateway.followers_page()
    assert api_calls(emulator, "cgi-bin/user/get") == 3  # the first call, then two attempts
    assert api_calls(emulator, "cgi-bin/stable_token") == 2


def test_wrong_app_secret_is_a_configuration_error(emulator, settings):
    settings.WECHAT_APP_SECRET = "not-the-secret"
    with pytest.raises(InvalidRequestError) as caught:
        WeChatGateway().tags_list()
    assert caught.value.errcode == 40125
    assert api_calls(emulator, "cgi-bin/tags/get") == 0


def test_on_the_file_cache_the_refresh_lock_is_a_file_beside_the_cache_files(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    held = []

    def fetch():
        held.extend(path.name for path in (tmp_path / "cache").glob("wechat-token-*.lock"))
        return "fresh-token", 7200

    assert AccessTokenCache(app_id="wx-lock-file", fetch=fetch).get() == "fresh-token"
    assert len(held) == 1  # taken while fetching
    assert list((tmp_path / "cache").glob("wechat-token-*.lock")) == []  # and given back
