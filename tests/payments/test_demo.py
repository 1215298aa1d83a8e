"""The demo's WeChat Pay gifts come with their paid online orders."""

import pytest

from alumni_cms.demo.loader import demo_load
from donations.models import Channel, Gift
from payments.models import OnlineOrder, OrderState

pytestmark = pytest.mark.django_db


def test_each_demo_wechat_pay_gift_has_its_paid_order(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    demo_load()
    gifts = Gift.objects.filter(channel=Channel.WECHAT_PAY)
    assert gifts.exists()
    orders = OnlineOrder.objects.filter(state=OrderState.PAID)
    assert sorted(orders.values_list("gift_id", flat=True)) == sorted(
        gifts.values_list("pk", flat=True)
    )
    assert all(order.amount == order.gift.amount for order in orders.select_related("gift"))


def test_some_demo_online_gifts_came_through_a_channel_qr_code(settings, tmp_path):
    from wechat.channels.models import Channel as QRChannel

    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    demo_load()
    scenes = {s.split(":", 1)[1] for s in OnlineOrder.objects.values_list("source", flat=True) if s}
    assert scenes
    assert scenes <= set(QRChannel.objects.values_list("scene", flat=True))
