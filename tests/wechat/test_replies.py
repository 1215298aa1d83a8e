"""Automatic replies inside the callback: keyword rules, welcome, default, the cache."""

import time
import xml.etree.ElementTree as ET
from datetime import time as dtime

import pytest
from django.utils import timezone

from tests.factories import (
    AlumnusFactory,
    FollowerFactory,
    PushableArticleFactory,
    ReplyRuleFactory,
)
from tests.wechat.replies_support import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    FOLLOWER,
    TOKEN,
    post,
    reply_of,
    subscribe_xml,
    text_xml,
)
from wechat import replies
from wechat.models import InboxMessage
from wechat_emulator import callbacks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _wechat_settings(settings):
    settings.WECHAT_TOKEN = TOKEN
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_ENCODING_AES_KEY = ""
    replies.forget()
    replies.replies_changed()
    yield
    replies.forget()


def test_a_keyword_rule_answers_the_follower_from_the_account(client):
    ReplyRuleFactory(match="contains", pattern="地址", text="颐和园路5号")
    reply = reply_of(post(client, text_xml("请问校友会的地址在哪里？")))
    assert reply["MsgType"] == "text"
    assert reply["Content"] == "颐和园路5号"
    assert (reply["ToUserName"], reply["FromUserName"]) == (FOLLOWER, ACCOUNT)


def test_an_exact_rule_needs_the_whole_message(client):
    ReplyRuleFactory(match="exact", pattern="返校", text="返校日是5月4日")
    assert reply_of(post(client, text_xml("返校")))["Content"] == "返校日是5月4日"
    assert reply_of(post(client, text_xml("我想返校"))) == {}


def test_a_contains_rule_ignores_case(client):
    ReplyRuleFactory(match="contains", pattern="WiFi", text="校友卡可连校园网")
    assert reply_of(post(client, text_xml("wifi 密码？")))["Content"] == "校友卡可连校园网"


def test_a_regex_rule_answers_what_it_matches(client):
    ReplyRuleFactory(match="regex", pattern=r"^(19|20)\d{2}级$", text="请回复学号完成认证")
    assert reply_of(post(client, text_xml("2008级")))["Content"] == "请回复学号完成认证"
    assert reply_of(post(client, text_xml("2008年"))) == {}


def test_the_higher_priority_rule_wins(client):
    ReplyRuleFactory(pattern="捐赠", text="普通回复", priority=0)
    ReplyRuleFactory(pattern="捐赠", text="优先回复", priority=10)
    assert reply_of(post(client, text_xml("我想捐赠")))["Content"] == "优先回复"


def test_an_inactive_rule_does_not_answer(client):
    ReplyRuleFactory(pattern="地址", active=False)
    assert post(client, text_xml("地址")).content == b"success"


def test_a_rule_outside_its_hours_leaves_the_default_reply(client, settings):
    now = timezone.localtime().time()
    later = dtime((now.hour + 2) % 24, 0)
    much_later = dtime((now.hour + 4) % 24, 0)
    ReplyRuleFactory(pattern="值班", text="值班电话", active_from=later, active_until=much_later)
    ReplyRuleFactory(trigger="default", pattern="", text="已收到，我们会尽快回复")
    assert reply_of(post(client, text_xml("值班")))["Content"] == "已收到，我们会尽快回复"


def test_hours_past_midnight_cover_the_small_hours():
    rule = replies.Rule(
        id=1,
        trigger="keyword",
        match="contains",
        pattern="x",
        priority=0,
        active_from=dtime(22, 0),
        active_until=dtime(7, 0),
        reply=replies.Reply(kind="text", text="夜间"),
    )
    tz = timezone.get_current_timezone()
    assert rule.active_at(timezone.datetime(2026, 5, 4, 23, 30, tzinfo=tz))
    assert rule.active_at(timezone.datetime(2026, 5, 4, 6, 0, tzinfo=tz))
    assert not rule.active_at(timezone.datetime(2026, 5, 4, 12, 0, tzinfo=tz))


def test_the_default_reply_answers_what_no_rule_matches(client):
    ReplyRuleFactory(trigger="default", pattern="", text="已收到")
    assert reply_of(post(client, text_xml("随便说点什么")))["Content"] == "已收到"


def test_without_any_rule_the_callback_answers_success(client):
    assert post(client, text_xml("你好")).content == b"success"


def test_an_image_rule_answers_with_its_media_id(client):
    ReplyRuleFactory(pattern="校徽", kind="image", text="", image_media_id="MEDIA_LOGO_1")
    reply = reply_of(post(client, text_xml("校徽")))
    assert (reply["MsgType"], reply["MediaId"]) == ("image", "MEDIA_LOGO_1")


def test_a_news_rule_answers_with_one_card_of_the_published_item(client, settings):
    article = PushableArticleFactory(title="校友返校日", digest="五月四日，欢迎回家")
    from editorial.publishing import item_key

    ReplyRuleFactory(pattern="返校", kind="news", text="", item_key=item_key(article))
    reply = reply_of(post(client, text_xml("返校")))
    assert (reply["MsgType"], reply["ArticleCount"]) == ("news", "1")
    [card] = reply["Articles"]
    assert (card["Title"], card["Description"]) == ("校友返校日", "五月四日，欢迎回家")
    assert card["Url"].startswith(settings.SITE_URL.rstrip("/"))
    assert card["PicUrl"].startswith(settings.SITE_URL.rstrip("/"))


def test_a_withdrawn_item_no_longer_answers_as_a_card(
    client, reviewer, django_capture_on_commit_callbacks
):
    from editorial.publishing import item_key
    from editorial.services import item_withdraw

    article = PushableArticleFactory(title="校友返校日")
    ReplyRuleFactory(pattern="返校", kind="news", text="", item_key=item_key(article))
    assert reply_of(post(client, text_xml("返校")))["MsgType"] == "news"
    article.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        item_withdraw(item=article, by=reviewer, reason="信息有误")
    assert post(client, text_xml("返校")).content == b"success"


def test_the_welcome_greets_a_bound_alumnus_by_name(client):
    FollowerFactory(openid=FOLLOWER, alumnus=AlumnusFactory(name="林晓舟"))
    ReplyRuleFactory(
        trigger="welcome", pattern="", text="欢迎关注", text_bound="{name}校友，欢迎回家"
    )
    assert reply_of(post(client, subscribe_xml()))["Content"] == "林晓舟校友，欢迎回家"


def test_the_welcome_greets_an_unbound_follower_plainly(client):
    ReplyRuleFactory(
        trigger="welcome", pattern="", text="欢迎关注", text_bound="{name}校友，欢迎回家"
    )
    assert reply_of(post(client, subscribe_xml()))["Content"] == "欢迎关注"


def test_the_message_and_its_reply_are_stored_once_for_a_retry(client):
    ReplyRuleFactory(pattern="地址", text="颐和园路5号")
    xml = text_xml("地址", msg_id="9000000000000000001")
    first, again = post(client, xml), post(client, xml)
    assert reply_of(first) == reply_of(again) | {"CreateTime": reply_of(first)["CreateTime"]}
    [message] = InboxMessage.objects.all()
    assert (message.content, message.reply_summary) == ("地址", "颐和园路5号")


def test_a_callback_reads_no_table_for_its_reply(client, django_assert_num_queries):
    ReplyRuleFactory(pattern="地址", text="颐和园路5号")
    post(client, text_xml("地址"))  # this process builds its copy of the rules
    with django_assert_num_queries(1) as context:
        response = post(client, text_xml("地址在哪"))
    assert reply_of(response)["Content"] == "颐和园路5号"
    assert context.captured_queries[0]["sql"].upper().startswith("INSERT")


def test_a_message_the_default_answers_looks_up_the_rules_version_once(client, monkeypatch):
    # A flood of messages no keyword matches: each costs one cache round trip for the rules,
    # not one for the keyword rules and another for the default.
    ReplyRuleFactory(pattern="地址", text="颐和园路5号")
    ReplyRuleFactory(trigger="default", pattern="", text="已收到")
    post(client, text_xml("你好"))  # this process builds its copy of the rules
    looks = []
    version = replies._version
    monkeypatch.setattr(replies, "_version", lambda: looks.append(1) or version())
    response = post(client, text_xml("随便说点什么"))
    assert reply_of(response)["Content"] == "已收到"
    assert len(looks) == 1


def test_a_changed_rule_answers_at_once(client):
    rule = ReplyRuleFactory(pattern="地址", text="旧地址")
    post(client, text_xml("地址"))
    rule.text = "新地址"
    rule.save()
    assert reply_of(post(client, text_xml("地址")))["Content"] == "新地址"


def test_another_process_sees_a_change_through_the_shared_version(client):
    rule = ReplyRuleFactory(pattern="地址", text="旧地址")
    post(client, text_xml("地址"))
    # Another process saved the rule: only the shared version in the cache tells this one.
    type(rule).objects.filter(pk=rule.pk).update(text="新地址")
    replies.replies_changed()
    assert reply_of(post(client, text_xml("地址")))["Content"] == "新地址"


def test_the_reply_is_encrypted_in_safe_mode(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    ReplyRuleFactory(pattern="地址", text="颐和园路5号")
    response = post(client, text_xml("地址"), aes_key=AES_KEY)
    root = ET.fromstring(response.content)
    encrypted = root.findtext("Encrypt")
    assert root.findtext("MsgSignature") == callbacks.sign(
        TOKEN, root.findtext("TimeStamp"), root.findtext("Nonce"), encrypted
    )
    inner = callbacks.decrypt(encrypted, encoding_aes_key=AES_KEY, app_id=APP_ID)
    assert "<Content><![CDATA[颐和园路5号]]></Content>" in inner
    assert "颐和园路" not in response.content.decode()


def test_reply_text_with_cdata_end_is_kept_whole(client):
    ReplyRuleFactory(pattern="地址", text="a]]>b<script>")
    assert reply_of(post(client, text_xml("地址")))["Content"] == "a]]>b<script>"


@pytest.mark.parametrize(
    "pattern", ["(a+)+", "(a|aa)*$", "(x+x+)+y", r"(\w+\s?)+$", "(?:a|b){2,}", r"(a)\1"]
)
def test_a_pattern_that_can_backtrack_for_ever_is_refused(pattern):
    assert replies.pattern_problem(pattern)


@pytest.mark.parametrize("pattern", [r"^(19|20)\d{2}级$", "地址|电话", "(ab)+", "[(]+", "a+b*"])
def test_an_ordinary_pattern_is_accepted(pattern):
    assert replies.pattern_problem(pattern) == ""


def test_a_pattern_longer_than_the_cap_is_refused():
    assert replies.pattern_problem("a" * (replies.PATTERN_MAX_CHARS + 1))


def test_a_dangerous_pattern_stored_behind_the_form_is_never_run(client):
    ReplyRuleFactory(match="regex", pattern="(a|aa)+$", text="不应出现")
    started = time.monotonic()
    assert post(client, text_xml("a" * 40 + "!")).content == b"success"
    assert time.monotonic() - started < 1


def test_a_pattern_that_runs_too_long_counts_as_no_match():
    import regex

    rule = replies.Rule(
        id=1,
        trigger="keyword",
        match="regex",
        pattern="(a|aa)+$",
        priority=0,
        active_from=None,
        active_until=None,
        reply=replies.Reply(kind="text", text="x"),
        compiled=regex.compile("(a|aa)+$"),
    )
    started = time.monotonic()
    assert rule.matches("a" * 60 + "!") is False
    assert time.monotonic() - started < 1


def test_a_menu_click_is_answered_by_the_rule_on_its_key(client):
    ReplyRuleFactory(match="exact", pattern="CONTACT_US", text="校友办电话 010-6275 1234")
    xml = callbacks.event_xml(
        to_user=ACCOUNT,
        from_user=FOLLOWER,
        create_time=int(time.time()),
        event="CLICK",
        body="<EventKey><![CDATA[CONTACT_US]]></EventKey>",
    )
    assert reply_of(post(client, xml))["Content"] == "校友办电话 010-6275 1234"


def test_a_menu_click_without_a_rule_gets_no_default_reply(client):
    ReplyRuleFactory(trigger="default", pattern="", text="已收到")
    xml = callbacks.event_xml(
        to_user=ACCOUNT,
        from_user=FOLLOWER,
        create_time=int(time.time()),
        event="CLICK",
        body="<EventKey><![CDATA[UNKNOWN]]></EventKey>",
    )
    assert post(client, xml).content == b"success"
