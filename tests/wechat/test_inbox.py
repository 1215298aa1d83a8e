"""The inbox: what followers send is stored and shown as conversations; staff answer with
customer-service messages (over HTTP against the emulator) while WeChat allows it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from core.names import display_name
from editorial.models import State
from tests.factories import (
    AlumnusFactory,
    EditorFactory,
    FollowerFactory,
    InboxMessageFactory,
    UserFactory,
    photo_upload,
)
from tests.wechat.replies_support import APP_ID, TOKEN, message_xml, post, text_xml
from wechat import replies
from wechat.models import ConversationRead, InboxMessage
from wechat_emulator.api.common import openid_for

pytestmark = pytest.mark.django_db

LIST = "admin:wechat_inboxmessage_changelist"


@pytest.fixture(autouse=True)
def _fresh_replies():
    replies.forget()
    replies.replies_changed()


@pytest.fixture
def callback_settings(settings):
    settings.WECHAT_TOKEN = TOKEN
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_ENCODING_AES_KEY = ""


def conversation_url(openid):
    return reverse("admin:wechat_inbox_conversation", args=[openid])


def test_a_text_message_is_stored_with_its_content(client, callback_settings):
    post(client, text_xml("校友卡怎么办理？", openid="oFOLLOWER0000000000000000001"))
    message = InboxMessage.objects.get()
    assert (message.openid, message.direction, message.msg_type) == (
        "oFOLLOWER0000000000000000001",
        "in",
        "text",
    )
    assert message.content == "校友卡怎么办理？"


def test_an_image_message_keeps_its_picture_and_media_id(client, callback_settings):
    post(client, message_xml("image", PicUrl="https://mmbiz.qpic.cn/a.jpg", MediaId="M1"))
    message = InboxMessage.objects.get()
    assert message.data == {"pic_url": "https://mmbiz.qpic.cn/a.jpg", "media_id": "M1"}


def test_a_voice_message_keeps_its_format_and_recognition(client, callback_settings):
    post(client, message_xml("voice", MediaId="V1", Format="amr", Recognition="我想报名"))
    message = InboxMessage.objects.get()
    assert (message.content, message.data["format"]) == ("我想报名", "amr")


def test_a_location_message_keeps_its_place(client, callback_settings):
    xml = message_xml("location", Location_X="39.99", Location_Y="116.31", Scale="15", Label="北大")
    post(client, xml)
    message = InboxMessage.objects.get()
    assert (message.content, message.data["x"], message.data["y"]) == ("北大", "39.99", "116.31")


def test_a_link_message_keeps_only_wechat_links(client, callback_settings):
    post(client, message_xml("link", Title="文章", Description="d", Url="https://evil.example/x"))
    post(client, message_xml("link", Title="文章2", Url="https://mp.weixin.qq.com/s/abc"))
    first, second = InboxMessage.objects.order_by("pk")
    assert (first.content, first.data["url"]) == ("文章", "")
    assert second.data["url"] == "https://mp.weixin.qq.com/s/abc"


def test_a_retried_message_is_stored_once(client, callback_settings):
    xml = text_xml("同一条", msg_id="9900000000000000001")
    post(client, xml)
    post(client, xml)
    assert InboxMessage.objects.count() == 1


def test_a_huge_text_is_cut_not_refused(client, callback_settings, settings):
    settings.WECHAT_CALLBACK_MAX_BYTES = 64 * 1024
    response = post(client, text_xml("长" * 5000))
    assert response.status_code == 200
    assert len(InboxMessage.objects.get().content) == 4000


def test_the_inbox_lists_one_row_per_follower_with_the_last_message(client, editor):
    InboxMessageFactory(openid="oA" + "0" * 26, content="第一条")
    InboxMessageFactory(openid="oA" + "0" * 26, content="第二条")
    InboxMessageFactory(openid="oB" + "0" * 26, content="另一位")
    client.force_login(editor)
    page = client.get(reverse(LIST)).content.decode()
    assert page.count('class="conversation-row"') == 2
    assert "第二条" in page and "第一条" not in page


def test_the_inbox_counts_unread_messages(client, editor):
    openid = "oA" + "0" * 26
    first = InboxMessageFactory(openid=openid)
    InboxMessageFactory(openid=openid)
    InboxMessageFactory(openid=openid)
    ConversationRead.objects.create(openid=openid, read_upto=first.pk)
    client.force_login(editor)
    response = client.get(reverse(LIST))
    assert response.context["rows"][0].unread == 2


def test_opening_a_conversation_marks_it_read(client, editor):
    message = InboxMessageFactory()
    client.force_login(editor)
    client.get(conversation_url(message.openid))
    assert client.get(reverse(LIST)).context["rows"][0].unread == 0


def test_a_bound_follower_is_shown_by_the_alumni_record(client, editor):
    alumnus = AlumnusFactory(name="林晓舟", class_year=2008)
    follower = FollowerFactory(alumnus=alumnus)
    InboxMessageFactory(openid=follower.openid)
    client.force_login(editor)
    assert "林晓舟" in client.get(reverse(LIST)).content.decode()
    page = client.get(conversation_url(follower.openid)).content.decode()
    assert "林晓舟" in page and "2008" in page
    assert reverse("admin:alumni_alumnus_change", args=[alumnus.pk]) in page


def test_the_inbox_page_costs_the_same_queries_for_more_conversations(client, editor, queries_for):
    client.force_login(editor)
    bound = FollowerFactory(alumnus=AlumnusFactory())
    InboxMessageFactory(openid=bound.openid)
    InboxMessageFactory()
    few = queries_for(reverse(LIST))
    for _ in range(10):
        InboxMessageFactory(openid=FollowerFactory(alumnus=AlumnusFactory()).openid)
    assert queries_for(reverse(LIST)) == few


def test_the_unread_inbox_costs_the_same_queries_for_more_conversations(
    client, editor, queries_for
):
    """Read marks, the office's answers by several people and bound followers change nothing."""
    client.force_login(editor)

    def conversation():
        openid = FollowerFactory(alumnus=AlumnusFactory()).openid
        first = InboxMessageFactory(openid=openid)
        InboxMessageFactory(openid=openid, direction="out", sent_by=EditorFactory())
        InboxMessageFactory(openid=openid)
        ConversationRead.objects.create(openid=openid, read_upto=first.pk)

    conversation()
    few = [queries_for(reverse(LIST)), queries_for(reverse(LIST) + "?unread=1")]
    for _ in range(12):
        conversation()
    assert [queries_for(reverse(LIST)), queries_for(reverse(LIST) + "?unread=1")] == few


def test_a_conversation_costs_the_same_queries_for_more_messages(client, editor, queries_for):
    follower = FollowerFactory(alumnus=AlumnusFactory())
    client.force_login(editor)

    def exchange():
        InboxMessageFactory(openid=follower.openid, content="上海校友会周六举办迎新活动，欢迎报道")
        InboxMessageFactory(
            openid=follower.openid, msg_type="link", data={"url": "https://mp.weixin.qq.com/s/a"}
        )
        InboxMessageFactory(openid=follower.openid, direction="out", sent_by=EditorFactory())

    exchange()
    client.get(conversation_url(follower.openid))  # the read mark exists from now on
    exchange()
    few = queries_for(conversation_url(follower.openid))
    for _ in range(15):
        exchange()
    assert queries_for(conversation_url(follower.openid)) == few


def test_someone_without_the_view_permission_cannot_read_the_inbox(client):
    message = InboxMessageFactory()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(conversation_url(message.openid)).status_code == 403


def test_an_unknown_conversation_is_not_found(client, editor):
    client.force_login(editor)
    assert client.get(conversation_url("oNOBODY")).status_code == 404


@pytest.fixture
def follower(emulator):
    """Follower 3 of the emulator wrote to the account a minute ago (the window is open)."""
    openid = openid_for(3)
    emulator.state.touch_follower(3)
    InboxMessageFactory(openid=openid, content="请问返校日几点开始？")
    return openid


def test_staff_answer_reaches_the_follower(client, editor, emulator, follower):
    client.force_login(editor)
    response = client.post(conversation_url(follower), {"text": "上午九点，欢迎回家"}, follow=True)
    assert "回复已发送给粉丝" in response.content.decode()
    [sent] = emulator.state.snapshot()["custom_messages"]
    assert (sent["touser"], sent["msgtype"], sent["content"]) == (
        follower,
        "text",
        "上午九点，欢迎回家",
    )
    answer = InboxMessage.objects.get(direction="out")
    assert (answer.content, answer.sent_by, answer.delivered) == (
        "上午九点，欢迎回家",
        editor,
        True,
    )
    page = client.get(conversation_url(follower)).content.decode()
    assert display_name(editor) in page


def test_staff_can_answer_with_an_image(client, editor, emulator, follower):
    client.force_login(editor)
    client.post(conversation_url(follower), {"text": "", "image": photo_upload("map.jpg")})
    [sent] = emulator.state.snapshot()["custom_messages"]
    assert sent["msgtype"] == "image"
    assert sent["media_id"] in {m["media_id"] for m in emulator.state.snapshot()["materials"]}


def test_after_48_hours_the_answer_is_refused_and_nothing_is_sent(
    client, editor, emulator, follower
):
    InboxMessage.objects.update(received_at=timezone.now() - timedelta(hours=49))
    client.force_login(editor)
    page = client.get(conversation_url(follower)).content.decode()
    assert 'id="window-closed"' in page and "disabled" in page
    response = client.post(conversation_url(follower), {"text": "还来得及吗"}, follow=True)
    assert "已超过48小时" in response.content.decode()
    assert emulator.state.snapshot()["custom_messages"] == []
    assert not InboxMessage.objects.filter(direction="out").exists()


def test_wechats_45015_is_shown_as_the_closed_window(client, editor, emulator, follower):
    # Our clock says the window is open; WeChat's says it closed (its clock moved on).
    emulator.state.advance_clock(49 * 3600)
    client.force_login(editor)
    response = client.post(conversation_url(follower), {"text": "您好"}, follow=True)
    assert "已超过48小时" in response.content.decode()
    answer = InboxMessage.objects.get(direction="out")
    assert answer.delivered is False and "48" in answer.error


def test_the_conversation_says_how_many_answers_are_left(client, editor, emulator, follower):
    client.force_login(editor)
    client.post(conversation_url(follower), {"text": "您好"})
    page = client.get(conversation_url(follower)).content.decode()
    assert "在粉丝再次留言前还可回复 4 条" in page


def test_after_five_answers_the_sixth_is_refused_before_calling_wechat(
    client, editor, emulator, follower
):
    client.force_login(editor)
    for number in range(5):
        client.post(conversation_url(follower), {"text": f"第{number + 1}条"})
    page = client.get(conversation_url(follower)).content.decode()
    assert 'id="window-closed"' in page and "已回复了微信允许的 5 条" in page
    response = client.post(conversation_url(follower), {"text": "第6条"}, follow=True)
    assert "回复次数已达上限" in response.content.decode()
    assert len(emulator.state.snapshot()["custom_messages"]) == 5
    assert InboxMessage.objects.filter(direction="out").count() == 5


def test_a_new_message_from_the_follower_allows_five_more_answers(
    client, editor, emulator, follower
):
    client.force_login(editor)
    for number in range(5):
        client.post(conversation_url(follower), {"text": f"第{number + 1}条"})
    emulator.state.touch_follower(3)
    InboxMessageFactory(openid=follower, content="谢谢，还有一个问题")
    client.post(conversation_url(follower), {"text": "请讲"})
    assert len(emulator.state.snapshot()["custom_messages"]) == 6


def test_wechats_45047_is_shown_as_the_answers_used(client, editor, emulator, follower):
    # Answers sent from elsewhere (WeChat's own backend) used WeChat's count; ours did not see them.
    from wechat.gateway import WeChatGateway

    for number in range(5):
        WeChatGateway().custom_send_text(openid=follower, content=f"后台回复{number}")
    client.force_login(editor)
    response = client.post(conversation_url(follower), {"text": "您好"}, follow=True)
    assert "回复次数已达上限" in response.content.decode()
    assert InboxMessage.objects.get(direction="out").delivered is False


def test_a_follow_or_scan_does_not_reopen_a_closed_window(client, editor, emulator, follower):
    """WeChat allows 3 messages within a minute of a follow or scan, not 48 hours."""
    from wechat.models import CallbackEvent

    InboxMessage.objects.update(received_at=timezone.now() - timedelta(hours=49))
    CallbackEvent.objects.create(
        dedup_key="scan-1",
        msg_type="event",
        event="SCAN",
        from_user=follower,
        to_user="gh_test",
        sent_at=timezone.now() - timedelta(hours=1),
        received_at=timezone.now() - timedelta(hours=1),
    )
    client.force_login(editor)
    assert 'id="window-closed"' in client.get(conversation_url(follower)).content.decode()


def test_a_wechat_fault_is_reported_and_the_answer_kept_as_undelivered(
    client, editor, emulator, follower
):
    emulator.state.set_faults(
        error_rate=1.0, error_codes=[-1], paths=["cgi-bin/message/custom/send"]
    )
    client.force_login(editor)
    client.post(conversation_url(follower), {"text": "您好"})
    assert InboxMessage.objects.get(direction="out").delivered is False
    assert emulator.state.snapshot()["custom_messages"] == []


def test_an_empty_answer_gets_a_message_not_an_error(client, editor, emulator, follower):
    client.force_login(editor)
    response = client.post(conversation_url(follower), {"text": "   "})
    assert response.status_code == 200
    assert "请填写回复或选择一张图片" in response.content.decode()


def test_someone_who_may_only_read_cannot_answer(client, emulator, follower):
    from django.contrib.auth.models import Permission

    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_inboxmessage"))
    client.force_login(reader)
    assert client.post(conversation_url(follower), {"text": "您好"}).status_code == 403
    assert emulator.state.snapshot()["custom_messages"] == []


def test_a_message_becomes_a_news_draft_in_one_click(client, editor):
    alumnus = AlumnusFactory(name="林晓舟", class_year=2008)
    follower = FollowerFactory(alumnus=alumnus)
    message = InboxMessageFactory(
        openid=follower.openid, content="上海校友会周六举办<b>迎新</b>活动，欢迎报道"
    )
    client.force_login(editor)
    response = client.post(reverse("admin:wechat_inbox_tip", args=[message.pk]))
    article = Article.objects.get()
    assert response.url == reverse("admin:articles_article_change", args=[article.pk])
    assert article.state == State.DRAFT and article.created_by == editor
    assert article.title.startswith("上海校友会周六举办")
    assert "&lt;b&gt;迎新&lt;/b&gt;" in article.body and "林晓舟" in article.body


def test_an_image_message_cannot_become_a_tip(client, editor):
    message = InboxMessageFactory(msg_type="image", content="")
    client.force_login(editor)
    client.post(reverse("admin:wechat_inbox_tip", args=[message.pk]))
    assert not Article.objects.exists()


def test_a_tip_needs_the_answer_permission(client):
    from django.contrib.auth.models import Permission

    message = InboxMessageFactory(content="线索")
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_inboxmessage"))
    client.force_login(reader)
    assert client.post(reverse("admin:wechat_inbox_tip", args=[message.pk])).status_code == 403
    assert not Article.objects.exists()


def test_editors_may_answer_followers():
    assert EditorFactory().has_perm("wechat.answer_inboxmessage")


def test_two_hundred_messages_in_a_row_are_all_stored_and_answered(client, callback_settings):
    """The suite's small flood (the concurrent one runs on PostgreSQL in test_inbox_live.py;
    bench/replies_bench.py sends 10,000)."""
    from tests.factories import ReplyRuleFactory

    ReplyRuleFactory(pattern="报名", text="请点菜单“活动报名”")
    answers = [
        post(client, text_xml(f"我要报名 {n}", openid=f"oFLOOD{n % 7:022d}")).content.decode()
        for n in range(200)
    ]
    assert all("请点菜单“活动报名”" in answer for answer in answers)
    assert InboxMessage.objects.count() == 200


def test_a_message_that_reports_news_is_marked_as_a_likely_tip(client, editor):
    openid = "oTIP" + "0" * 24
    InboxMessageFactory(openid=openid, content="上海校友会周六在徐汇举办迎新活动，欢迎来报道")
    InboxMessageFactory(openid=openid, content="校友卡怎么办？")
    client.force_login(editor)
    page = client.get(conversation_url(openid)).content.decode()
    assert page.count('class="tip-hint"') == 1


def test_a_failing_reply_rule_never_costs_the_message(client, callback_settings, monkeypatch):
    from wechat import inbox

    def broken(**kwargs):
        raise RuntimeError("a rule that cannot be read")

    monkeypatch.setattr(inbox, "reply_for_message", broken)
    response = post(client, text_xml("还在吗"))
    assert response.content == b"success"
    assert InboxMessage.objects.get().content == "还在吗"
