"""Followers write through the emulator to the live site: stored, answered, nothing lost."""

import threading
import time

import pytest

from tests.factories import ReplyRuleFactory
from wechat import replies
from wechat.models import InboxMessage
from wechat_emulator.api.common import openid_for

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
FLOOD = 120  # the bench sends 10,000 (bench/replies_bench.py)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_replies():
    replies.forget()
    replies.replies_changed()
    yield
    replies.forget()


@pytest.mark.parametrize("aes_key", ["", AES_KEY], ids=["plain", "safe-mode"])
def test_a_follower_message_through_the_emulator_is_stored_and_answered(
    emulator, live_server, settings, aes_key
):
    settings.WECHAT_ENCODING_AES_KEY = aes_key
    emulator.state.configure(
        callback_url=f"{live_server.url}/wechat/callback/", encoding_aes_key=aes_key
    )
    ReplyRuleFactory(pattern="地址", text="颐和园路5号")
    record = emulator.state.follower_message(openid=openid_for(2), Content="校友会地址？")
    assert (record["status"], record["reply_error"]) == (200, "")
    assert (record["reply"]["MsgType"], record["reply"]["Content"]) == ("text", "颐和园路5号")
    message = InboxMessage.objects.get()
    assert (message.openid, message.content, message.msg_id) == (
        openid_for(2),
        "校友会地址？",
        record["msg_id"],
    )


def test_a_news_reply_with_two_articles_would_be_refused_by_wechat(emulator):
    from wechat_emulator.api.conversation import _read_reply

    xml = (
        f"<xml><ToUserName>{openid_for(0)}</ToUserName><FromUserName>"
        f"{emulator.state.config.account_id}</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>news</MsgType><ArticleCount>2</ArticleCount><Articles><item><Title>a</Title>"
        "</item><item><Title>b</Title></item></Articles></xml>"
    )
    _, problem = _read_reply(xml.encode(), config=emulator.state.config, openid=openid_for(0))
    assert "one article" in problem


def test_a_flood_of_messages_is_stored_without_loss_and_every_one_answered(
    postgres_only, emulator, live_server
):
    """Eight followers writing at once (SQLite's shared in-memory test database locks whole
    tables across threads, so this runs on PostgreSQL, as CI's second round does)."""
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    ReplyRuleFactory(pattern="报名", text="请点菜单“活动报名”")
    records, errors = [], []

    def sender(worker: int):
        for n in range(FLOOD // 8):
            try:
                records.append(
                    emulator.state.follower_message(
                        openid=openid_for(worker), Content=f"我要报名 {worker}-{n}"
                    )
                )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=sender, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(records) == FLOOD
    assert [r["status"] for r in records] == [200] * FLOOD
    assert all(r["reply"]["Content"] == "请点菜单“活动报名”" for r in records)
    assert InboxMessage.objects.count() == FLOOD
    assert time.monotonic() - started < 60


def test_the_emulator_page_writes_as_a_follower_and_shows_the_answers(
    client, emulator, live_server
):
    from tests.factories import UserFactory

    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    ReplyRuleFactory(trigger="default", pattern="", text="已收到<留言>")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post("/admin/wechat/emulator/", {"follower": "4", "content": "<b>你好</b>"})
    [record] = emulator.state.snapshot()["follower_messages"]
    assert (record["openid"], record["reply"]["Content"]) == (openid_for(4), "已收到<留言>")
    page = client.get("/admin/wechat/emulator/").content.decode()
    messages = page.split('id="emulator-follower-messages"')[1].split("</table>")[0]
    assert "&lt;b&gt;你好&lt;/b&gt;" in messages and "已收到&lt;留言&gt;" in messages
