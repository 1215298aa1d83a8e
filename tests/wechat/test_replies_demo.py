"""The demo data holds automatic replies and a few conversations, and loads twice as once."""

import pytest

from alumni_cms.demo.loader import demo_load
from wechat.models import InboxMessage, ReplyRule

pytestmark = pytest.mark.django_db


def test_the_demo_has_rules_and_conversations_once(settings):
    settings.DEBUG = True
    demo_load()
    rules, messages = ReplyRule.objects.count(), InboxMessage.objects.count()
    demo_load()
    assert ReplyRule.objects.filter(trigger="welcome").exists()
    assert ReplyRule.objects.filter(trigger="default").exists()
    assert ReplyRule.objects.filter(kind="news").exclude(item_key="").exists()
    assert InboxMessage.objects.values("openid").distinct().count() == 3
    assert (ReplyRule.objects.count(), InboxMessage.objects.count()) == (rules, messages)
