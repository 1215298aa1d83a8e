"""What WeChat reports back, through the emulator and our callback over HTTP: template message
deliveries (TEMPLATESENDJOBFINISH) and opt-ins to subscription notifications, which then carry
a push notice on a subscription account (message/subscribe/bizsend)."""

import time

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import (
    Channel,
    Delivery,
    Kind,
    Notification,
    NotificationState,
    SubscriptionOptIn,
)
from notifications.pushes import push_notify
from notifications.services import NotificationRetry, notification_send
from notifications.wechat_reports import delivery_of, delivery_record
from tests.factories import EditorFactory, PushFactory
from wechat.constants import EMULATOR_PUSH_TEMPLATE
from wechat.errors import InvalidRequestError
from wechat.gateway import WeChatGateway
from wechat.models import CallbackEvent, PreviewRecipient
from wechat_emulator import EmulatorClient
from wechat_emulator.api.common import openid_for

OPENID = openid_for(4)


def _wait(check, timeout: float = 5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    return check()


@pytest.fixture
def live(emulator, live_server):
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    return emulator


def _opt_in(emulator, times: int) -> None:
    """The follower accepted the popup `times` times (in WeChat and in our records)."""
    for _ in range(times):
        emulator.state.subscribe_popup(openid=OPENID, template_ids=[EMULATOR_PUSH_TEMPLATE])
    SubscriptionOptIn.objects.create(
        openid=OPENID, template_id=EMULATOR_PUSH_TEMPLATE, remaining=times
    )


def _notice(*, with_wechat: bool = True) -> Notification:
    author = EditorFactory(username="linxz")
    if with_wechat:
        PreviewRecipient.objects.create(user=author, openid=OPENID)
    push = PushFactory(created_by=author, state="failed", error_message="素材太大")
    return push_notify(push_id=push.pk, move="fail")


@pytest.mark.parametrize(
    ("status", "delivery"),
    [
        ("success", Delivery.DELIVERED),
        ("failed:user block", Delivery.USER_BLOCK),
        ("failed: system failed", Delivery.SYSTEM_FAILED),
    ],
)
def test_wechats_delivery_report_reaches_the_notification(
    live, service_account, db, status, delivery
):
    if status != "success":
        live.state.set_faults(template_status=status)
    notice = _notice()
    notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.SENT

    def reported():
        notice.refresh_from_db()
        return notice.delivery

    assert _wait(reported) == delivery
    assert notice.delivery_at is not None


@pytest.mark.django_db
def test_a_report_that_comes_before_the_answer_is_applied_once_the_msgid_is_known(
    service_account,
):
    notice = _notice()
    early = CallbackEvent.objects.create(
        dedup_key="event:early",
        msg_type="event",
        event="TEMPLATESENDJOBFINISH",
        from_user=OPENID,
        to_user="gh",
        sent_at=timezone.now(),
        msg_id="3000000001",
        payload={"msg_id": "3000000001", "status": "success"},
    )
    assert delivery_record(event=early) is None  # nobody has the msgid yet: it waits
    notification_send(notification_id=notice.pk)  # the emulator's first msgid is 3000000001
    notice.refresh_from_db()
    early.refresh_from_db()
    assert (notice.msgid, notice.delivery, early.processed) == (
        "3000000001",
        Delivery.DELIVERED,
        True,
    )


def test_wechat_spells_the_failures_two_ways():
    assert delivery_of("failed:user block") == delivery_of("failed: user block")
    assert delivery_of("failed:system failed") == Delivery.SYSTEM_FAILED


def test_an_opt_in_in_wechat_is_recorded(live, subscription_account, db):
    EmulatorClient(live.url).subscribe_popup(openid=OPENID, template_ids=[EMULATOR_PUSH_TEMPLATE])
    optin = _wait(lambda: SubscriptionOptIn.objects.filter(openid=OPENID).first())
    assert (optin.template_id, optin.remaining) == (EMULATOR_PUSH_TEMPLATE, 1)


def test_a_rejection_in_wechat_leaves_no_opt_in(live, subscription_account, db):
    SubscriptionOptIn.objects.create(openid=OPENID, template_id=EMULATOR_PUSH_TEMPLATE, remaining=2)
    EmulatorClient(live.url).subscribe_popup(
        openid=OPENID, template_ids=[EMULATOR_PUSH_TEMPLATE], accept=False
    )
    assert _wait(lambda: not SubscriptionOptIn.objects.filter(remaining__gt=0).exists())


def test_on_a_subscription_account_an_opted_in_author_gets_a_subscription_notification(
    live, subscription_account, db
):
    EmulatorClient(live.url).subscribe_popup(openid=OPENID, template_ids=[EMULATOR_PUSH_TEMPLATE])
    _wait(lambda: SubscriptionOptIn.objects.filter(remaining=1).exists())
    notice = _notice()
    assert notice.channel == Channel.WECHAT
    notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.SENT
    snapshot = live.state.snapshot()
    [message] = snapshot["subscribe_messages"]
    assert message["touser"] == OPENID and message["data"]["thing2"] == "失败"
    assert snapshot["template_messages"] == []
    assert SubscriptionOptIn.objects.get().remaining == 0


@pytest.mark.django_db
def test_on_a_subscription_account_without_an_opt_in_the_author_gets_an_email(
    subscription_account,
):
    notice = _notice()
    assert (notice.channel, notice.kind) == (Channel.EMAIL, Kind.PUSH_FAILED)
    notification_send(notification_id=notice.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_subscription_notification_with_no_answer_is_not_sent_again(subscription_account):
    """bizsend has no de-duplication id: when WeChat may have sent it, we do not send again."""
    _opt_in(subscription_account, 2)
    notice = _notice()
    subscription_account.state.set_faults(
        drop_after_commit_rate=1.0, paths=["message/subscribe/bizsend"], times=1
    )
    notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.FAILED
    notification_send(notification_id=notice.pk)
    assert len(subscription_account.state.snapshot()["subscribe_messages"]) == 1


@pytest.mark.django_db
def test_a_busy_wechat_gives_the_opt_in_back_and_retries(subscription_account):
    _opt_in(subscription_account, 1)
    notice = _notice()
    subscription_account.state.set_faults(
        error_rate=1.0, error_codes=[-1], paths=["message/subscribe/bizsend"], times=1
    )
    with pytest.raises(NotificationRetry):
        notification_send(notification_id=notice.pk)
    assert SubscriptionOptIn.objects.get().remaining == 1
    notification_send(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == NotificationState.SENT
    assert SubscriptionOptIn.objects.get().remaining == 0


def test_the_emulator_refuses_bizsend_without_an_opt_in(subscription_account):
    with pytest.raises(InvalidRequestError) as error:
        WeChatGateway().subscribe_send(
            openid=OPENID, template_id=EMULATOR_PUSH_TEMPLATE, data={"thing1": "校友返校日"}
        )
    assert error.value.errcode == 43101


def test_one_opt_in_allows_one_bizsend(subscription_account):
    subscription_account.state.subscribe_popup(openid=OPENID, template_ids=[EMULATOR_PUSH_TEMPLATE])
    gateway = WeChatGateway()
    gateway.subscribe_send(openid=OPENID, template_id=EMULATOR_PUSH_TEMPLATE, data={"thing1": "a"})
    with pytest.raises(InvalidRequestError):
        gateway.subscribe_send(
            openid=OPENID, template_id=EMULATOR_PUSH_TEMPLATE, data={"thing1": "a"}
        )


@pytest.mark.django_db
def test_on_a_subscription_account_a_signup_confirmation_needs_an_opt_in(
    subscription_account, settings
):
    from notifications.services import registration_notify
    from tests.factories import AlumnusFactory, FollowerFactory, RegistrationFactory

    settings.WECHAT_TEMPLATE_SIGNUP = EMULATOR_PUSH_TEMPLATE
    alumnus = AlumnusFactory()
    FollowerFactory(openid=OPENID, alumnus=alumnus)
    first = RegistrationFactory(alumnus=alumnus, email="a@example.edu.cn")
    channels = {n.channel for n in registration_notify(registration_id=first.pk, kind="signup")}
    assert channels == {Channel.EMAIL}
    _opt_in(subscription_account, 1)
    second = RegistrationFactory(alumnus=alumnus, email="a@example.edu.cn")
    channels = {n.channel for n in registration_notify(registration_id=second.pk, kind="signup")}
    assert channels == {Channel.EMAIL, Channel.WECHAT}
