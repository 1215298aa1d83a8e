"""A push's author hears when it is approved, sent or fails: by template message to the WeChat
they linked for previews, by e-mail otherwise; once per event, retried safely (emulator over
HTTP, faults on)."""

import pytest
from django.core import mail

from notifications.models import Channel, Kind, Notification, NotificationState
from notifications.pushes import push_notify
from notifications.services import NotificationRetry, notification_send
from tests.factories import (
    EditorFactory,
    PushableArticleFactory,
    ReviewerFactory,
    grant_push_permissions,
)
from tests.wechat.push_support import approved_push
from wechat.constants import EMULATOR_PUSH_TEMPLATE
from wechat.models import PreviewRecipient, Push
from wechat.services.workflow import fail
from wechat_emulator.api.common import openid_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return grant_push_permissions(
        EditorFactory(username="linxz", first_name="晓舟", last_name="林")
    )


@pytest.fixture
def reviewer():
    return grant_push_permissions(ReviewerFactory(username="chenyu"))


def _approve(author, reviewer, django_capture_on_commit_callbacks) -> Push:
    with django_capture_on_commit_callbacks(execute=True):
        return approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)


def test_approval_reaches_the_authors_linked_wechat_as_a_template_message(
    author, reviewer, service_account, celery_eager, django_capture_on_commit_callbacks
):
    PreviewRecipient.objects.create(user=author, openid=openid_for(4))
    push = _approve(author, reviewer, django_capture_on_commit_callbacks)
    notice = Notification.objects.get(push=push)
    assert (notice.kind, notice.channel, notice.state) == (
        Kind.PUSH_APPROVED,
        Channel.WECHAT,
        NotificationState.SENT,
    )
    [message] = service_account.state.snapshot()["template_messages"]
    assert message["touser"] == openid_for(4)
    assert message["template_id"] == EMULATOR_PUSH_TEMPLATE
    assert message["data"]["keyword2"] == "已通过"
    assert message["url"].endswith(f"/admin/wechat/push/{push.pk}/change/")
    assert mail.outbox == []


def test_without_a_linked_wechat_the_author_gets_an_email(
    author, reviewer, service_account, celery_eager, django_capture_on_commit_callbacks
):
    push = _approve(author, reviewer, django_capture_on_commit_callbacks)
    [email] = mail.outbox
    assert email.to == [author.email]
    assert email.subject.endswith(f"推送已审核通过：{push}")
    assert service_account.state.snapshot()["template_messages"] == []


def test_an_author_approving_their_own_push_is_not_told(
    author, service_account, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True
    author = grant_push_permissions(ReviewerFactory(username="self"))
    _approve(author, author, django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()


def test_a_failed_push_tells_its_author_with_the_reason(
    author, reviewer, service_account, celery_eager, django_capture_on_commit_callbacks
):
    push = _approve(author, reviewer, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fail(Push.objects.get(pk=push.pk), message="素材太大")
    [email] = mail.outbox
    assert "推送发送失败" in email.subject and "素材太大" in email.body


def test_the_same_event_twice_is_one_notice(author, reviewer, service_account):
    push = approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)
    Push.objects.filter(pk=push.pk).update(state="sent")
    first = push_notify(push_id=push.pk, move="finish")
    assert first is not None
    assert push_notify(push_id=push.pk, move="finish") is None
    assert Notification.objects.filter(kind=Kind.PUSH_SENT).count() == 1


def test_moves_that_are_not_news_tell_nobody(author, reviewer, service_account):
    push = approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)
    for move in ("start", "create_draft", "send", "preview"):
        assert push_notify(push_id=push.pk, move=move) is None


def test_wechat_busy_is_retried_and_the_author_gets_one_message(author, reviewer, service_account):
    PreviewRecipient.objects.create(user=author, openid=openid_for(4))
    push = approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)
    notice = push_notify(push_id=push.pk, move="fail") or Notification.objects.get()
    service_account.state.set_faults(
        error_rate=1.0, error_codes=[-1], paths=["message/template/send"], times=1
    )
    with pytest.raises(NotificationRetry):
        notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.RETRYING
    notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.SENT
    assert len(service_account.state.snapshot()["template_messages"]) == 1


def test_an_answer_lost_after_wechat_took_the_message_is_not_delivered_twice(
    author, reviewer, service_account
):
    """WeChat sent it but the answer never came: the retry carries the same client_msg_id and
    WeChat drops the repeat."""
    PreviewRecipient.objects.create(user=author, openid=openid_for(4))
    push = approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)
    notice = push_notify(push_id=push.pk, move="fail") or Notification.objects.get()
    service_account.state.set_faults(
        drop_after_commit_rate=1.0, paths=["message/template/send"], times=1
    )
    with pytest.raises(NotificationRetry):
        notification_send(notification_id=notice.pk)
    notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.SENT and notice.msgid
    assert len(service_account.state.snapshot()["template_messages"]) == 1


def test_a_sent_notice_is_not_sent_again(author, reviewer, service_account):
    PreviewRecipient.objects.create(user=author, openid=openid_for(4))
    push = approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)
    notice = push_notify(push_id=push.pk, move="fail") or Notification.objects.get()
    notification_send(notification_id=notice.pk)
    notification_send(notification_id=notice.pk)
    assert len(service_account.state.snapshot()["template_messages"]) == 1


def test_the_notifications_list_shows_push_notices_with_their_delivery(client, author, reviewer):
    from tests.factories import UserFactory

    push = approved_push([PushableArticleFactory()], editor=author, reviewer=reviewer)
    Notification.objects.create(
        key="k", channel=Channel.WECHAT, kind=Kind.PUSH_SENT, push=push, recipient="o1",
        delivery="user_block",
    )  # fmt: skip
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get("/admin/notifications/notification/").content.decode()
    assert "推送已发出" in page and "用户拒收" in page
    assert client.get("/admin/notifications/subscriptionoptin/").status_code == 200
