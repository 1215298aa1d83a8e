"""The opt-in page for subscription notifications (wx-open-subscribe, signed wx.config)."""

import json
import re

import pytest
from django.core.cache import cache

from wechat.constants import EMULATOR_PUSH_TEMPLATE
from wechat.gateway.jssdk import jsapi_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(emulator, settings):
    settings.WECHAT_ACCOUNT_TYPE = "subscription"
    settings.WECHAT_TEMPLATE_PUSH = EMULATOR_PUSH_TEMPLATE
    settings.WECHAT_TEMPLATE_SIGNUP = ""
    settings.SITE_URL = "https://alumni.example.edu.cn"
    cache.delete(f"wechat:jsapi_ticket:{settings.WECHAT_APP_ID}")  # an earlier test's ticket
    return emulator


def _config(html: str) -> dict:
    match = re.search(r'<script id="wx-config" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


def test_the_page_signs_wx_config_for_its_own_url(client, subscription):
    html = client.get("/wechat/notices/?from=menu").content.decode()
    config = _config(html)
    [ticket] = subscription.state.snapshot()["jsapi_tickets"]
    assert config["signature"] == jsapi_signature(
        ticket=ticket,
        nonce_str=config["nonceStr"],
        timestamp=config["timestamp"],
        url="https://alumni.example.edu.cn/wechat/notices/?from=menu",
    )
    assert config["openTagList"] == ["wx-open-subscribe"]
    assert f'template="{EMULATOR_PUSH_TEMPLATE}"' in html


def test_the_ticket_is_fetched_once_for_many_pages(client, subscription):
    client.get("/wechat/notices/")
    client.get("/wechat/notices/")
    assert subscription.state.snapshot()["counters"]["cgi-bin/ticket/getticket"] == 1


def test_a_service_account_needs_no_opt_in(client, subscription, settings):
    settings.WECHAT_ACCOUNT_TYPE = "service"
    html = client.get("/wechat/notices/").content.decode()
    assert 'id="notices-none-needed"' in html and "wx-open-subscribe" not in html


def test_wechat_down_gives_a_chinese_message_not_an_error(client, subscription):
    subscription.state.set_faults(http_error_rate=1.0, paths=["ticket/getticket"])
    response = client.get("/wechat/notices/")
    assert response.status_code == 200
    assert "暂时无法连接微信" in response.content.decode()


def test_the_jsapi_signature_matches_wechats_documented_example():
    """WeChat's JS-SDK appendix: this ticket, nonce, timestamp and URL sign to this value."""
    assert (
        jsapi_signature(
            ticket="sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            nonce_str="Wm3WZYTPz0wzccnW",
            timestamp=1414587457,
            url="http://mp.weixin.qq.com?params=value",
        )
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )
