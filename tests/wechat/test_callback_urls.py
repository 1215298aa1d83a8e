"""WeChat's URLs only: the check callbacks and the push admin share (wechat/urlcheck.py)."""

import pytest

from tests.factories import PushableArticleFactory, PushFactory
from tests.security.test_callbacks import FOREIGN_URLS
from wechat.models import PushState
from wechat.urlcheck import is_wechat_url

WECHAT_URLS = [
    "https://mp.weixin.qq.com/s?__biz=MzA&mid=2247&idx=1&sn=5f2e#rd",
    "https://mp.weixin.qq.com/s/AbCdEf",
    "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0?wx_fmt=jpeg",
]


@pytest.mark.parametrize("url", WECHAT_URLS)
def test_wechat_urls_pass(url):
    assert is_wechat_url(url)


@pytest.mark.parametrize(
    "url",
    [
        *FOREIGN_URLS,
        "HTTPS://mp.weixin.qq.com/s",
        "https://MP.WEIXIN.QQ.COM/s",
        "https://mp.weixin.qq.com/s\n",
        "https://mp.weixin.qq.com/s x",
        "https://mp.weixin.qq.com/s/中文",
        "https://mp.weixin.qq.com/" + "a" * 1024,
        "",
        None,
        ["https://mp.weixin.qq.com/s"],
    ],
)
def test_anything_else_fails(url):
    assert not is_wechat_url(url)


@pytest.mark.django_db
class TestPushAdminArticleLink:
    @pytest.fixture
    def page(self, client, push_reviewer, emulator):
        def render(article_url: str) -> str:
            push = PushFactory(state=PushState.FINISHED, items=[PushableArticleFactory()])
            push.items.update(article_url=article_url)
            client.force_login(push_reviewer)
            response = client.get(f"/admin/wechat/push/{push.pk}/change/")
            assert response.status_code == 200
            return response.content.decode()

        return render

    def test_stored_javascript_url_is_not_a_link(self, page):
        html = page("javascript:alert(document.cookie)")
        assert 'href="javascript:' not in html
        assert "javascript:alert(document.cookie)" in html  # shown as text

    def test_stored_lookalike_url_is_not_a_link(self, page):
        html = page("https://mp.weixin.qq.com@evil.example/s")
        assert 'href="https://mp.weixin.qq.com@evil.example/s"' not in html

    def test_wechat_article_url_is_a_link(self, page):
        html = page("https://mp.weixin.qq.com/s/AbCdEf")
        assert 'href="https://mp.weixin.qq.com/s/AbCdEf"' in html
