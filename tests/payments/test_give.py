"""The donor's pages against the payment emulator: the give form's bounds and messages, the
order it makes (Native outside WeChat, JSAPI with the reader's openid inside), and the pages
that follow."""

import json
from decimal import Decimal

import pytest
import requests

from audience.views import SESSION_OPENID
from editorial.models import State
from payments.models import OnlineOrder, OrderState, TradeType
from tests.factories import DonationProjectFactory
from tests.payments.support import OnlineOrderFactory

pytestmark = pytest.mark.django_db

WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 MicroMessenger/8.0.47"


@pytest.fixture
def project():
    return DonationProjectFactory(state=State.PUBLISHED, title="图书馆修缮")


def _give(client, project, **data):
    form = {"preset": "100", "other_amount": "", "donor_name": "林晓舟", "message": ""}
    form.update(data)
    return client.post(f"/payments/give/{project.pk}/", form)


def test_the_project_page_offers_online_giving(client, pay_emulator, project):
    page = client.get(f"/donations/{project.pk}/").content.decode()
    assert f'href="/payments/give/{project.pk}/"' in page


def test_without_a_merchant_the_project_page_offers_the_bank_account_only(
    client, settings, project
):
    settings.WECHATPAY_MCHID = ""
    page = client.get(f"/donations/{project.pk}/").content.decode()
    assert "/payments/give/" not in page
    assert client.get(f"/payments/give/{project.pk}/").status_code == 404


def test_the_give_page_shows_the_presets(client, pay_emulator, project):
    page = client.get(f"/payments/give/{project.pk}/").content.decode()
    assert 'value="50"' in page and 'value="500"' in page and 'value="other"' in page


def test_a_preset_gift_makes_a_native_order_and_shows_its_qr_code(client, pay_emulator, project):
    response = _give(client, project)
    order = OnlineOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/payments/orders/{order.out_trade_no}/"
    assert (order.amount_fen, order.trade_type, order.donor_name) == (
        10000,
        TradeType.NATIVE,
        "林晓舟",
    )
    assert pay_emulator.state.snapshot()["orders"][order.out_trade_no]["total"] == 10000
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and 'id="emulator-pay"' in page


def test_another_amount_is_taken_to_the_fen(client, pay_emulator, project):
    _give(client, project, preset="other", other_amount="88.88")
    order = OnlineOrder.objects.get()
    assert order.amount_fen == 8888 and order.amount == Decimal("88.88")


def test_a_typed_amount_wins_over_the_preset(client, pay_emulator, project):
    _give(client, project, preset="100", other_amount="¥1,234.5")
    assert OnlineOrder.objects.get().amount_fen == 123450


@pytest.mark.parametrize(
    "typed", ["abc", "0", "-5", "1.001", "NaN", "Infinity", "1e400", "", "０．５"]
)
def test_an_amount_that_is_not_a_gift_is_refused_with_a_message(
    client, pay_emulator, project, typed
):
    response = _give(client, project, preset="other", other_amount=typed)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert OnlineOrder.objects.count() == 0


def test_an_amount_above_the_largest_gift_is_refused(client, pay_emulator, project, settings):
    settings.DONATIONS_GIFT_MAX_AMOUNT = Decimal("50000.00")
    response = _give(client, project, preset="other", other_amount="50000.01")
    assert response.status_code == 400
    assert "50,000.00" in response.content.decode()
    assert OnlineOrder.objects.count() == 0
    assert _give(client, project, preset="other", other_amount="50000").status_code == 302


def test_a_name_or_anonymous_is_required(client, pay_emulator, project):
    response = _give(client, project, donor_name="")
    assert response.status_code == 400
    assert OnlineOrder.objects.count() == 0


def test_an_anonymous_gift_keeps_no_name(client, pay_emulator, project):
    _give(client, project, donor_name="林晓舟", anonymous="on")
    order = OnlineOrder.objects.get()
    assert (order.anonymous, order.donor_name) == (True, "")


def test_a_project_not_published_cannot_be_given_to(client, pay_emulator):
    draft = DonationProjectFactory(state=State.DRAFT)
    assert client.get(f"/payments/give/{draft.pk}/").status_code == 404


def test_wechat_pay_unreachable_gives_a_message_not_an_error(client, pay_emulator, project):
    pay_emulator.state.set_faults(http_status=503, times=1)
    response = _give(client, project)
    assert response.status_code == 400
    assert 'class="alert alert-error"' in response.content.decode()
    assert OnlineOrder.objects.get().state == OrderState.FAILED


def test_in_wechat_the_reader_is_identified_first(client, pay_emulator, project):
    response = client.get(f"/payments/give/{project.pk}/", HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302
    assert "/connect/oauth2/authorize" in response["Location"]


def test_in_wechat_the_order_is_a_jsapi_order_for_the_readers_openid(client, pay_emulator, project):
    session = client.session
    session[SESSION_OPENID] = "o-reader-1"
    session.save()
    response = client.post(
        f"/payments/give/{project.pk}/",
        {"preset": "50", "donor_name": "顾明澜"},
        HTTP_USER_AGENT=WECHAT_UA,
    )
    order = OnlineOrder.objects.get()
    assert (order.trade_type, order.openid) == (TradeType.JSAPI, "o-reader-1")
    assert pay_emulator.state.snapshot()["orders"][order.out_trade_no]["openid"] == "o-reader-1"
    page = client.get(response["Location"], HTTP_USER_AGENT=WECHAT_UA).content.decode()
    start = page.index('id="jsapi-params"')
    params = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert params["package"] == f"prepay_id={order.prepay_id}"
    assert params["paySign"]


def test_the_state_answers_the_orders_state(client, pay_emulator):
    order = OnlineOrderFactory()
    answer = client.get(f"/payments/orders/{order.out_trade_no}/state/")
    assert answer.json() == {"state": "pending"}


def test_an_unknown_order_is_404(client, pay_emulator):
    assert client.get("/payments/orders/GUNKNOWN00001/thanks/").status_code == 404


def test_the_thank_you_page_of_a_paid_order(client, pay_emulator, settings):
    order = OnlineOrderFactory(amount_fen=8888, donor_name="林晓舟")
    from payments.gateway import Transaction
    from payments.services import order_record_payment
    from tests.payments.support import transaction_resource

    order_record_payment(
        transaction_data=Transaction.from_json(transaction_resource(order, settings)),
        via="query",
    )
    page = client.get(f"/payments/orders/{order.out_trade_no}/thanks/").content.decode()
    assert "林晓舟" in page and "¥88.88" in page


def test_a_paid_orders_payment_page_sends_to_the_thank_you_page(client, pay_emulator):
    order = OnlineOrderFactory(state=OrderState.CLOSED)
    response = client.get(f"/payments/orders/{order.out_trade_no}/")
    assert response["Location"] == f"/payments/orders/{order.out_trade_no}/thanks/"


def test_orders_from_one_address_are_limited(client, pay_emulator, project, settings):
    settings.PAYMENTS_ORDER_IP_LIMITS = [(600, 2)]
    assert _give(client, project).status_code == 302
    assert _give(client, project).status_code == 302
    refused = _give(client, project)
    assert refused.status_code == 429
    assert "10 分钟" in refused.content.decode()
    assert OnlineOrder.objects.count() == 2


@pytest.mark.parametrize(
    ("site_name", "language", "expected"),
    [
        ("", "en", "校友会-图书馆修缮"),
        ("青澜大学校友会", "zh-hans", "青澜大学校友会-图书馆修缮"),
    ],
)
def test_the_order_names_the_site_then_the_project_on_wechat_pay(
    client, settings, pay_emulator, project, site_name, language, expected
):
    """SITE_NAME is empty by default (the pages say 校友会): the payer's WeChat Pay sheet said
    "-图书馆修缮". In the site's language, also for a donor reading the site in English."""
    settings.SITE_NAME = site_name
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    _give(client, project)
    order = OnlineOrder.objects.get()
    assert pay_emulator.state.snapshot()["orders"][order.out_trade_no]["description"] == expected


def test_the_emulators_payment_page_answers_the_browsers_icon_request(
    client, pay_emulator, project
):
    """Chromium asks the payer's page's server for /favicon.ico: the emulator answered with
    the API's 401, a console error on every payment in development."""
    response = _give(client, project)
    page = client.get(response["Location"]).content.decode()
    assert f"{pay_emulator.url}/pay/" in page
    icon = requests.get(f"{pay_emulator.url}/favicon.ico", timeout=5)
    assert (icon.status_code, icon.content) == (204, b"")
