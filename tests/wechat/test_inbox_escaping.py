"""What a follower writes is shown as text wherever it appears: the inbox list, the
conversation, the news draft made from it (and the admin pages that show that draft) and the
notices that name such a draft. Each test sends `<script>` through the real path."""

import pytest
from django.core import mail
from django.urls import reverse

from articles.models import Article
from editorial.services import item_submit
from notifications.messages import push_message
from notifications.models import Kind
from tests.factories import FollowerFactory, InboxMessageFactory, PushFactory
from tests.wechat.replies_support import APP_ID, TOKEN, message_xml, post, text_xml
from wechat import replies
from wechat.models import InboxMessage

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
RAW = "<script>alert"
ESCAPED = "&lt;script&gt;alert"
LIST = "admin:wechat_inboxmessage_changelist"


@pytest.fixture(autouse=True)
def _callback_settings(settings):
    settings.WECHAT_TOKEN = TOKEN
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_ENCODING_AES_KEY = ""
    replies.forget()
    replies.replies_changed()


def conversation_url(openid):
    return reverse("admin:wechat_inbox_conversation", args=[openid])


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_script_in_a_text_message_is_text_in_the_inbox_list(client, editor):
    post(client, text_xml(f"你好 {SCRIPT}"))
    client.force_login(editor)
    html = page(client, reverse(LIST))
    assert RAW not in html and ESCAPED in html


def test_a_script_in_a_nickname_is_text_in_the_inbox_list(client, editor):
    follower = FollowerFactory(nickname=SCRIPT[:64])
    InboxMessageFactory(openid=follower.openid)
    client.force_login(editor)
    html = page(client, reverse(LIST))
    assert RAW not in html and ESCAPED in html


def test_a_script_in_a_text_message_is_text_in_the_conversation(client, editor):
    post(client, text_xml(f"你好 {SCRIPT}"))
    client.force_login(editor)
    html = page(client, conversation_url(InboxMessage.objects.get().openid))
    assert RAW not in html and ESCAPED in html


@pytest.mark.parametrize(
    "msg_type,fields",
    [
        ("link", {"Title": SCRIPT, "Description": "d", "Url": "https://mp.weixin.qq.com/s/a"}),
        ("location", {"Location_X": "1", "Location_Y": "2", "Scale": "15", "Label": SCRIPT}),
        ("voice", {"MediaId": "V1", "Format": "amr", "Recognition": SCRIPT}),
    ],
)
def test_a_script_in_other_messages_is_text_in_the_conversation(client, editor, msg_type, fields):
    post(client, message_xml(msg_type, **fields))
    client.force_login(editor)
    html = page(client, conversation_url(InboxMessage.objects.get().openid))
    assert RAW not in html and ESCAPED in html


@pytest.mark.parametrize(
    "msg_type,data",
    [
        ("link", {"url": "javascript:alert(1)"}),
        ("link", {"url": "https://mp.weixin.qq.com@evil.example/s"}),
        ("image", {"pic_url": "javascript:alert(1)"}),
        ("image", {"pic_url": "https://evil.example/a.jpg"}),
    ],
)
def test_a_stored_foreign_url_is_never_a_link_in_the_conversation(client, editor, msg_type, data):
    """The callback drops such URLs; a row stored another way is still not made a link."""
    message = InboxMessageFactory(msg_type=msg_type, content="标题", data=data)
    client.force_login(editor)
    html = page(client, conversation_url(message.openid))
    url = next(iter(data.values()))
    assert f'href="{url}' not in html and url not in html


def test_a_wechat_picture_sent_over_http_is_kept_as_its_https_link(client, editor):
    """Every recorded image push names its picture http://mmbiz.qpic.cn/…"""
    post(client, message_xml("image", PicUrl="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0", MediaId="M"))
    message = InboxMessage.objects.get()
    assert message.data["pic_url"] == "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0"
    client.force_login(editor)
    assert 'href="https://mmbiz.qpic.cn/mmbiz_jpg/abc/0"' in page(
        client, conversation_url(message.openid)
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://mmbiz.qpic.cn.evil.example/a.jpg",
        "http://mmbiz.qpic.cn@evil.example/a.jpg",
        "http://mmbiz.qpic.cn/@evil.example/a.jpg",
        "http://mmbiz.qpic.cn:8080/a.jpg",
        "http://evil.example/mmbiz.qpic.cn/a.jpg",
        "http://mp.weixin.qq.com/s/abc",
    ],
)
def test_only_wechats_picture_host_is_upgraded_to_https(client, url):
    post(client, message_xml("image", PicUrl=url, MediaId="M"))
    assert InboxMessage.objects.get().data["pic_url"] == ""


@pytest.fixture
def tip(client, editor):
    """A follower's `<script>` message turned into a news draft through the inbox's button,
    and the page the editor lands on (the draft, with the success message)."""
    post(client, text_xml(f"{SCRIPT}上海校友会周六举办迎新活动"))
    client.force_login(editor)
    response = client.post(
        reverse("admin:wechat_inbox_tip", args=[InboxMessage.objects.get().pk]), follow=True
    )
    assert response.status_code == 200
    return Article.objects.get(), response.content.decode()


def test_a_script_in_a_tip_is_text_in_the_drafts_body(tip):
    article, _landing = tip
    assert RAW not in article.body and ESCAPED in article.body


def test_a_script_in_a_tip_is_text_on_the_page_the_editor_lands_on(tip):
    """The draft's change page and its "now a news draft: <title>" message."""
    article, landing = tip
    assert article.title.startswith("<script>")
    assert RAW not in landing and ESCAPED in landing


def test_a_script_in_a_tip_is_text_in_the_drafts_wechat_preview(client, tip):
    article, _landing = tip
    html = page(client, reverse("admin:articles_article_preview", args=[article.pk]))
    assert RAW not in html and ESCAPED in html


def test_a_script_in_a_tip_is_text_in_the_notice_of_a_push_of_it(tip):
    """A push of the draft takes its title; its author's notice (e-mail HTML, WeChat keyword)
    shows it as text."""
    article, _landing = tip
    push = PushFactory(title=article.title[:64])
    message = push_message(push, Kind.PUSH_SENT)
    assert RAW not in message.html and ESCAPED in message.html
    assert message.fields["keyword1"] == article.title[:64]  # WeChat shows keywords as text


def test_a_script_in_a_tip_is_text_in_the_reviewers_mail(
    reviewer, tip, django_capture_on_commit_callbacks
):
    """Submitted for review, the draft's title reaches reviewers in a plain-text mail only."""
    article, _landing = tip
    with django_capture_on_commit_callbacks(execute=True):
        item_submit(item=article, by=article.created_by)
    [message] = [m for m in mail.outbox if reviewer.email in m.to]
    assert getattr(message, "alternatives", []) == []
    assert message.content_subtype == "plain"
    assert article.title in message.body
