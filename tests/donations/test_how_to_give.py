from decimal import Decimal

import pytest

from editorial.models import State
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db

ACCOUNT = {
    "DONATIONS_BANK_ACCOUNT_NAME": "北方大学教育基金会",
    "DONATIONS_BANK_NAME": "中国银行北京中关村支行",
    "DONATIONS_BANK_ACCOUNT": "3412 5678 9012 3456",
    "DONATIONS_CONTACT": "校友办王老师 · 010-6275 1234 · giving@alumni.example.edu.cn",
}


@pytest.fixture
def office_account(settings):
    for name, value in ACCOUNT.items():
        setattr(settings, name, value)


def _page(client, project) -> str:
    return client.get(project.get_absolute_url()).content.decode()


def test_a_project_page_shows_the_offices_bank_account_and_contact(client, office_account):
    project = DonationProjectFactory(state=State.PUBLISHED, title="新图书馆建设基金")

    page = _page(client, project)

    for value in ACCOUNT.values():
        assert value in page


def test_the_give_button_jumps_to_the_instructions(client, office_account, settings):
    settings.WECHATPAY_MCHID = ""  # no online giving (no WeChat Pay merchant)
    project = DonationProjectFactory(state=State.PUBLISHED)

    page = _page(client, project)

    assert '<a class="btn btn-block give-button" href="#how-to-give">我要捐赠</a>' in page
    assert 'id="how-to-give"' in page


def test_with_online_giving_the_give_button_opens_the_give_page(client, office_account, settings):
    settings.WECHATPAY_MCHID = "1900000109"
    project = DonationProjectFactory(state=State.PUBLISHED)

    page = _page(client, project)

    assert f'href="/payments/give/{project.pk}/" id="give-online">微信支付在线捐赠</a>' in page
    assert 'id="how-to-give"' in page  # the bank account stays, for transfers


def test_the_transfer_remark_is_the_projects_name(client, office_account):
    project = DonationProjectFactory(state=State.PUBLISHED, title="新图书馆建设基金")

    page = _page(client, project)

    assert "转账附言： <strong>新图书馆建设基金</strong>" in page


def test_a_projects_own_instructions_win_over_the_offices(client, office_account):
    project = DonationProjectFactory(
        state=State.PUBLISHED,
        how_to_give="请汇款至化学系专项账户 6222 0000 1111\n联系人：化学系赵老师",
    )

    page = _page(client, project)

    assert "请汇款至化学系专项账户 6222 0000 1111<br>联系人：化学系赵老师" in page
    assert ACCOUNT["DONATIONS_BANK_ACCOUNT"] not in page


def test_a_projects_own_instructions_are_shown_as_text_not_markup(client):
    project = DonationProjectFactory(
        state=State.PUBLISHED, how_to_give='<script>alert("x")</script>请联系校友办'
    )

    page = _page(client, project)

    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_without_an_account_the_page_asks_to_contact_the_office(client, settings):
    for name in ACCOUNT:
        setattr(settings, name, "")
    project = DonationProjectFactory(state=State.PUBLISHED)

    page = _page(client, project)

    assert "如需为本项目捐赠，请联系校友办。" in page
    assert "账号" not in page


def test_a_project_page_groups_its_amounts(client):
    project = DonationProjectFactory(state=State.PUBLISHED, goal=Decimal("5000000.00"))
    GiftFactory(project=project, amount=Decimal("4000000.00"))
    GiftFactory(project=project, amount=Decimal("64300.00"))

    page = _page(client, project)

    assert "¥4,064,300" in page
    assert "¥5,000,000" in page
    assert "4064300" not in page


def test_the_project_list_and_home_page_group_amounts(client):
    project = DonationProjectFactory(state=State.PUBLISHED, goal=Decimal("1234567.50"))
    GiftFactory(project=project, amount=Decimal("20480.00"))

    for url in ("/donations/", "/"):
        page = client.get(url).content.decode()

        assert "¥1,234,567.50" in page
        assert "¥20,480" in page
