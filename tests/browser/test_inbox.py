"""The inbox in a real browser: a follower writes through the emulator, an editor sees the
conversation beside the alumni record and answers, the emulator records the answer; and an
editor changes a keyword rule, which the next message gets at once.
Screenshots: test-results/inbox-list.png, inbox-conversation.png, reply-rule.png."""

import pytest
from playwright.sync_api import expect

from tests.factories import AlumnusFactory, EditorFactory, FollowerFactory, ReplyRuleFactory
from tests.wechat.conftest import emulator, emulator_server  # noqa: F401
from wechat import replies
from wechat_emulator.api.common import openid_for

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("emulator"),
]


@pytest.fixture(autouse=True)
def _callbacks_to_the_live_site(emulator, live_server):  # noqa: F811
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    replies.forget()
    replies.replies_changed()
    yield
    replies.forget()


def test_an_editor_answers_a_follower_who_wrote_through_wechat(open_page, emulator):  # noqa: F811
    openid = openid_for(5)
    FollowerFactory(openid=openid, alumnus=AlumnusFactory(name="林晓舟", class_year=2008))
    ReplyRuleFactory(trigger="default", pattern="", text="已收到，我们会尽快回复")
    record = emulator.state.follower_message(openid=openid, Content="请问<b>返校日</b>几点开始？")
    assert record["reply"]["Content"] == "已收到，我们会尽快回复"

    page = open_page()
    log_in_to_admin(page, EditorFactory())
    page.goto("/admin/wechat/inboxmessage/")
    row = page.locator(".conversation-row").first
    expect(row).to_contain_text("林晓舟")
    expect(row).to_contain_text("请问<b>返校日</b>几点开始？")
    expect(row.locator(".unread")).to_have_text("1")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "inbox-list.png", full_page=True)

    row.get_by_role("link", name="林晓舟").click()
    expect(page.locator(".record")).to_contain_text("2008")
    expect(page.locator(".msg.in")).to_contain_text("自动回复：已收到，我们会尽快回复")
    page.get_by_role("textbox").fill("上午九点在东门集合，欢迎回家！")
    page.get_by_role("button", name="发送回复").click()

    expect(page.locator(".messagelist")).to_contain_text("回复已发送给粉丝")
    expect(page.locator(".msg.out")).to_contain_text("上午九点在东门集合，欢迎回家！")
    expect(page.locator("#answers-left")).to_have_text("在粉丝再次留言前还可回复 4 条。")
    page.screenshot(path=RESULTS / "inbox-conversation.png", full_page=True)
    [sent] = emulator.state.snapshot()["custom_messages"]
    assert (sent["touser"], sent["content"]) == (openid, "上午九点在东门集合，欢迎回家！")

    page.goto("/admin/wechat/inboxmessage/")
    expect(page.locator(".conversation-row .unread")).to_have_count(0)


def test_an_edited_keyword_rule_answers_the_next_message(open_page, emulator):  # noqa: F811
    rule = ReplyRuleFactory(name="地址", pattern="地址", text="旧地址")
    page = open_page()
    log_in_to_admin(page, EditorFactory())
    page.goto(f"/admin/wechat/replyrule/{rule.pk}/change/")
    page.get_by_label("匹配方式").select_option("regex")
    page.get_by_label("关键词或表达式").fill("(a+)+")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("重复的分组里不能再有重复")

    page.get_by_label("关键词或表达式").fill("地址|在哪")
    page.locator("#id_text").fill("校友会：北京市海淀区颐和园路5号")
    page.screenshot(path=RESULTS / "reply-rule.png", full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("成功")

    record = emulator.state.follower_message(openid=openid_for(1), Content="校友会在哪？")
    assert record["reply"]["Content"] == "校友会：北京市海淀区颐和园路5号"
