"""Editing automatic replies in the admin: the form checks a rule as the callback reads it."""

import pytest
from django.urls import reverse

from editorial.publishing import item_key
from tests.factories import ArticleFactory, PushableArticleFactory, photo_upload
from wechat.models import ReplyRule

pytestmark = pytest.mark.django_db

ADD = "admin:wechat_replyrule_add"


def _form(**changes):
    data = {
        "name": "规则",
        "trigger": "keyword",
        "match": "contains",
        "pattern": "地址",
        "priority": "0",
        "active": "on",
        "kind": "text",
        "text": "颐和园路5号",
        "text_bound": "",
        "item": "",
    }
    return {**data, **changes}


def test_an_editor_adds_a_keyword_rule(client, editor):
    client.force_login(editor)
    response = client.post(reverse(ADD), _form())
    assert response.status_code == 302
    rule = ReplyRule.objects.get()
    assert (rule.pattern, rule.text, rule.updated_by) == ("地址", "颐和园路5号", editor)


def test_a_runaway_pattern_is_refused_in_chinese(client, editor):
    client.force_login(editor)
    response = client.post(reverse(ADD), _form(match="regex", pattern="(a|aa)+$"))
    assert "重复的分组里不能再有重复" in response.content.decode()
    assert not ReplyRule.objects.exists()


def test_an_invalid_pattern_is_refused_in_chinese(client, editor):
    client.force_login(editor)
    response = client.post(reverse(ADD), _form(match="regex", pattern="(地址"))
    assert "这不是有效的正则表达式" in response.content.decode()


def test_a_keyword_rule_needs_a_keyword(client, editor):
    client.force_login(editor)
    response = client.post(reverse(ADD), _form(pattern=""))
    assert "关键词规则需要填写关键词或表达式" in response.content.decode()


def test_an_image_rule_is_uploaded_to_wechat_as_permanent_material(client, editor, emulator):
    client.force_login(editor)
    response = client.post(
        reverse(ADD), _form(kind="image", text="", image=photo_upload("logo.jpg"))
    )
    assert response.status_code == 302
    rule = ReplyRule.objects.get()
    materials = {m["media_id"] for m in emulator.state.snapshot()["materials"]}
    assert rule.image_media_id in materials


def test_an_image_wechat_refuses_leaves_no_rule_and_says_why(client, editor, emulator):
    emulator.state.set_faults(
        error_rate=1.0, error_codes=[40005], paths=["cgi-bin/material/add_material"]
    )
    client.force_login(editor)
    response = client.post(
        reverse(ADD), _form(kind="image", text="", image=photo_upload("logo.jpg"))
    )
    assert "微信不接受此文件类型" in response.content.decode()
    assert not ReplyRule.objects.exists()


def test_a_news_rule_takes_a_published_item(client, editor):
    article = PushableArticleFactory(title="校友返校日")
    client.force_login(editor)
    client.post(reverse(ADD), _form(kind="news", text="", item=item_key(article)))
    assert ReplyRule.objects.get().item_key == item_key(article)


def test_a_news_rule_refuses_an_unpublished_item(client, editor):
    draft = ArticleFactory(title="草稿")
    client.force_login(editor)
    response = client.post(reverse(ADD), _form(kind="news", text="", item=item_key(draft)))
    assert response.status_code == 200
    assert not ReplyRule.objects.exists()
