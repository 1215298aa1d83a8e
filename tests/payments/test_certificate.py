"""The donor's certificate image (Pillow): a PNG for paid orders only, with or without the
amount as the donor chooses."""

import io

import pytest
from PIL import Image

from payments import certificate
from payments.gateway import Transaction
from payments.services import order_record_payment
from tests.payments.support import OnlineOrderFactory, transaction_resource

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not certificate.available(), reason="no CJK font installed"),
]


@pytest.fixture
def paid(settings):
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = "1900000999", "wx-pay-test-app"
    order = OnlineOrderFactory(amount_fen=8888)
    resource = transaction_resource(order, settings)
    return order_record_payment(transaction_data=Transaction.from_json(resource), via="query")


def test_a_paid_order_has_a_certificate(client, paid):
    response = client.get(f"/payments/orders/{paid.out_trade_no}/certificate.png")
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1080, 1440)


def test_the_certificate_without_the_amount_differs(client, paid):
    url = f"/payments/orders/{paid.out_trade_no}/certificate.png"
    assert client.get(url).content != client.get(url + "?amount=0").content


def test_an_unpaid_order_has_no_certificate(client, settings):
    settings.WECHATPAY_MCHID = "1900000999"
    order = OnlineOrderFactory()
    assert client.get(f"/payments/orders/{order.out_trade_no}/certificate.png").status_code == 404


def test_the_thank_you_page_shows_the_certificate(client, paid):
    page = client.get(f"/payments/orders/{paid.out_trade_no}/thanks/").content.decode()
    assert 'id="certificate"' in page
