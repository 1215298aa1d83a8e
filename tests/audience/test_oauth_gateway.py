"""Web authorization (snsapi_base) through the gateway and the emulator, and the tasks."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from audience.models import Follower, FollowerSyncRun, SyncStatus
from audience.tasks import followers_sync_task, segment_sync_task
from tests.factories import SegmentFactory
from wechat.errors import InvalidRequestError
from wechat.gateway import WeChatGateway
from wechat_emulator import openid_for


def authorize(gateway, emulator, openid=None, state="s1") -> dict:
    """Follow the authorize URL as a browser would; the query WeChat redirects back with."""
    if openid:
        emulator.state.configure(oauth_openid=openid)
    url = gateway.oauth_authorize_url("https://alumni.example.edu.cn/me/oauth/", state)
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.netloc == "alumni.example.edu.cn"
    return {k: v[0] for k, v in parse_qs(back.query).items()}


def test_code_from_the_authorize_redirect_yields_the_readers_openid(gateway, emulator):
    back = authorize(gateway, emulator, openid=openid_for(12), state="xyz")

    assert back["state"] == "xyz"
    assert gateway.oauth_openid(back["code"]) == openid_for(12)


def test_a_code_works_once(gateway, emulator):
    code = authorize(gateway, emulator)["code"]
    gateway.oauth_openid(code)

    with pytest.raises(InvalidRequestError) as refused:
        gateway.oauth_openid(code)
    assert refused.value.errcode == 40163


def test_an_unknown_code_is_refused(gateway, emulator):
    with pytest.raises(InvalidRequestError) as refused:
        gateway.oauth_openid("EMUCODE-made-up")
    assert refused.value.errcode == 40029


def test_authorize_url_points_at_wechat_outside_the_emulator(settings):
    settings.WECHAT_API_BASE_URL = "https://api.weixin.qq.com"

    url = WeChatGateway().oauth_authorize_url("https://x.example/cb/", "s", scope="snsapi_base")

    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=")
    assert url.endswith("&state=s#wechat_redirect")


@pytest.mark.django_db
def test_sync_task_runs_the_sync_and_returns_the_run(emulator):
    run_id = followers_sync_task.apply(kwargs={"trigger": "nightly"}).get()

    run = FollowerSyncRun.objects.get(pk=run_id)
    assert (run.status, run.trigger) == (SyncStatus.FINISHED, "nightly")


@pytest.mark.django_db
def test_admin_sync_button_queues_the_sync(client, office_admin, emulator, eager_tasks):
    client.force_login(office_admin)

    client.post(reverse("admin:audience_follower_sync"))

    assert Follower.objects.count() == 25


@pytest.mark.django_db
def test_segment_sync_task_skips_a_segment_whose_sync_is_running(emulator):
    segment = SegmentFactory(sync_started_at=timezone.now())

    segment_sync_task.apply(args=[segment.pk]).get()

    segment.refresh_from_db()
    assert segment.wechat_tag_id is None
