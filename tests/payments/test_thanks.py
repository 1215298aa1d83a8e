"""An online donor is thanked once per gift: by WeChat template message (WECHAT_TEMPLATE_GIFT,
to the payer's openid) and by e-mail when they gave one; whatever records the payment, however
often, and a failing thank-you never touches the gift."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from donations.models import Gift
from notifications.models import Channel, Kind, Notification, NotificationState
from notifications.services import notification_send
from payments.models import OnlineOrder, OrderState
from payments.services import Donation, order_create, orders_query_late
from tests.payments.support import (
    OnlineOrderFactory,
    notification,
    post_notification,
    transaction_resource,
)
from tests.wechat.conftest import emulator, emulator_server  # noqa: E402,F401 (fixtures)

pytestmark = pytest.mark.django_db

TEMPLATE = "tpl-gift-thanks"


@pytest.fixture
def thanks_settings(settings):
    settings.WECHAT_TEMPLATE_GIFT = TEMPLATE
    settings.WECHAT_ACCOUNT_TYPE = "service"
    settings.SITE_URL = "https://alumni.example.edu.cn"
    return settings


def _notify(client, pay_emulator, order, settings, **changes):
    extra, body = notification(pay_emulator.state, transaction_resource(order, settings, **changes))
    return post_notification(client, extra, body)


def test_a_notification_thanks_the_donor_by_wechat_and_email(
    client, pay_emulator, thanks_settings, django_capture_on_commit_callbacks
):
    order = OnlineOrderFactory(openid="o-payer", email="lin@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(client, pay_emulator, order, thanks_settings).status_code == 204
    sent = Notification.objects.filter(kind=Kind.GIFT_THANKS)
    assert sorted(sent.values_list("channel", "recipient")) == [
        (Channel.EMAIL, "lin@example.com"),
        (Channel.WECHAT, "o-payer"),
    ]


def test_the_notification_twice_and_the_late_query_thank_once(
    client, pay_emulator, pay_gateway, thanks_settings, django_capture_on_commit_callbacks
):
    thanks_settings.WECHATPAY_NOTIFY_URL = "http://127.0.0.1:9/payments/notify/"  # lost
    order = order_create(
        donation=Donation(
            project=_project(),
            amount=Decimal("66.00"),
            donor_name="顾明澜",
            anonymous=False,
            message="",
            email="gu@example.com",
        ),
        openid="o-gu",
        gateway=pay_gateway,
    )
    pay_emulator.state.pay(order.prepay_id)
    OnlineOrder.objects.filter(pk=order.pk).update(next_query_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        orders_query_late(gateway=pay_gateway)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert _notify(client, pay_emulator, order, thanks_settings).status_code == 204
    order.refresh_from_db()
    assert (order.state, order.paid_via) == (OrderState.PAID, "query")
    assert Gift.objects.count() == 1
    assert sorted(
        Notification.objects.filter(kind=Kind.GIFT_THANKS).values_list("channel", "recipient")
    ) == [(Channel.EMAIL, "gu@example.com"), (Channel.WECHAT, "o-gu")]


def _project():
    from editorial.models import State
    from tests.factories import DonationProjectFactory

    return DonationProjectFactory(state=State.PUBLISHED, title="图书馆修缮")


def test_a_repeated_signal_thanks_once(pay_emulator, thanks_settings):
    from notifications.gifts import gift_thank

    order = OnlineOrderFactory(openid="o-payer", email="lin@example.com")
    order_paid(order)
    assert len(gift_thank(order_id=order.pk)) == 2
    assert gift_thank(order_id=order.pk) == []
    assert Notification.objects.count() == 2


def order_paid(order):
    gift = Gift.objects.create(
        project=order.project, amount=order.amount, donor_name="林晓舟", donated_on="2026-12-02"
    )
    OnlineOrder.objects.filter(pk=order.pk).update(
        gift=gift, state=OrderState.PAID, paid_at=timezone.now() - timedelta(minutes=1)
    )
    order.refresh_from_db()


def test_an_unpaid_order_is_not_thanked(thanks_settings):
    from notifications.gifts import gift_thank

    order = OnlineOrderFactory(openid="o-payer", email="lin@example.com")
    assert gift_thank(order_id=order.pk) == []


def test_without_a_gift_template_only_the_email_goes(
    client, pay_emulator, thanks_settings, django_capture_on_commit_callbacks
):
    thanks_settings.WECHAT_TEMPLATE_GIFT = ""
    order = OnlineOrderFactory(openid="o-payer", email="lin@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client, pay_emulator, order, thanks_settings)
    assert list(Notification.objects.values_list("channel", flat=True)) == [Channel.EMAIL]


def test_without_openid_or_email_nobody_is_thanked(
    client, pay_emulator, thanks_settings, django_capture_on_commit_callbacks
):
    order = OnlineOrderFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client, pay_emulator, order, thanks_settings, payer={"openid": ""})
    assert Notification.objects.count() == 0
    assert Gift.objects.count() == 1


def test_the_email_names_project_amount_date_and_the_thanks_page(pay_emulator, thanks_settings):
    from notifications.gifts import gift_thank

    order = OnlineOrderFactory(email="lin@example.com", amount_fen=123450)
    order_paid(order)
    [thanks] = gift_thank(order_id=order.pk)
    assert notification_send(notification_id=thanks.pk).state == NotificationState.SENT
    [email] = mail.outbox
    assert email.to == ["lin@example.com"]
    assert order.project.title in email.subject
    assert "¥1,234.50" in email.body
    assert timezone.localdate(order.paid_at).isoformat() in email.body
    assert f"https://alumni.example.edu.cn/payments/orders/{order.out_trade_no}/thanks/" in (
        email.body
    )


def test_a_donor_who_hid_the_amount_is_thanked_without_it(pay_emulator, thanks_settings):
    from notifications.gifts import gift_thank
    from notifications.messages import gift_message

    order = OnlineOrderFactory(email="lin@example.com", amount_fen=123450, show_amount=False)
    order_paid(order)
    gift_thank(order_id=order.pk)
    message = gift_message(order)
    assert "1,234.5" not in message.text
    assert "1,234.5" not in message.fields["keyword2"]
    assert message.template_id == TEMPLATE


def test_a_failing_thank_you_leaves_the_gift_recorded(
    client, pay_emulator, thanks_settings, django_capture_on_commit_callbacks
):
    order = OnlineOrderFactory(openid="o-payer", email="lin@example.com")
    with (
        mock.patch("notifications.gifts.gift_thank", side_effect=RuntimeError("boom")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert _notify(client, pay_emulator, order, thanks_settings).status_code == 204
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert Gift.objects.count() == 1
    assert Notification.objects.count() == 0


def test_the_give_form_takes_an_optional_email_and_the_amount_choice(
    client, pay_emulator, pay_gateway, thanks_settings
):
    project = _project()
    response = client.post(
        f"/payments/give/{project.pk}/",
        {
            "preset": "other",
            "other_amount": "50",
            "anonymous": "on",
            "email": "x@example.com",
            "hide_amount": "on",
        },
    )
    assert response.status_code == 302
    order = OnlineOrder.objects.get()
    assert (order.email, order.show_amount) == ("x@example.com", False)


def test_a_bad_email_gets_a_message(client, pay_emulator, thanks_settings):
    project = _project()
    response = client.post(
        f"/payments/give/{project.pk}/",
        {"preset": "other", "other_amount": "50", "anonymous": "on", "email": "not-an-email"},
    )
    assert response.status_code == 400
    assert OnlineOrder.objects.count() == 0


@pytest.mark.parametrize("page", ["donations:wall", "donations:detail"])
def test_the_donor_wall_names_only_donors_who_opted_in(client, pay_emulator, thanks_settings, page):
    from django.urls import reverse

    named = OnlineOrderFactory(donor_name="顾明澜", anonymous=False)
    hidden = OnlineOrderFactory(project=named.project, donor_name="林晓舟", anonymous=True)
    for order in (named, hidden):
        assert _notify(client, pay_emulator, order, thanks_settings).status_code == 204
    assert Gift.objects.count() == 2
    args = [named.project.pk] if page == "donations:detail" else []
    text = client.get(reverse(page, args=args)).content.decode()
    assert "顾明澜" in text
    assert "林晓舟" not in text


def test_the_wechat_thank_you_reaches_the_payer_as_a_template_message(
    client,
    pay_emulator,
    emulator,  # noqa: F811 (the fixture imported above)
    thanks_settings,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    from wechat.constants import EMULATOR_SIGNUP_TEMPLATE
    from wechat_emulator.api.common import openid_for

    emulator.state.configure(account_type="service")
    thanks_settings.WECHAT_TEMPLATE_GIFT = EMULATOR_SIGNUP_TEMPLATE
    order = OnlineOrderFactory(openid=openid_for(3), amount_fen=123450)
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(client, pay_emulator, order, thanks_settings).status_code == 204
    [message] = emulator.state.snapshot()["template_messages"]
    assert message["touser"] == openid_for(3)
    assert message["data"]["keyword1"] == order.project.title
    assert message["data"]["keyword2"] == "¥1,234.50"
    assert message["url"].endswith(f"/payments/orders/{order.out_trade_no}/thanks/")
    sent = Notification.objects.get()
    assert (sent.state, sent.msgid) == (NotificationState.SENT, message["msgid"])


def test_the_certificate_leaves_the_amount_off_when_the_donor_chose_so(client, settings):
    from payments import certificate
    from payments.gateway import Transaction
    from payments.services import order_record_payment

    if not certificate.available():
        pytest.skip("no CJK font installed")
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = "1900000999", "wx-pay-test-app"
    order = OnlineOrderFactory(amount_fen=8888, show_amount=False)
    resource = transaction_resource(order, settings)
    order_record_payment(transaction_data=Transaction.from_json(resource), via="query")
    url = f"/payments/orders/{order.out_trade_no}/certificate.png"
    assert client.get(url).content == client.get(url + "?amount=0").content
    assert client.get(url).content != client.get(url + "?amount=1").content
    page = client.get(f"/payments/orders/{order.out_trade_no}/thanks/").content.decode()
    assert "certificate.png?amount=1" in page
