"""The WeChat emulator fixtures (tests/wechat/conftest.py) for the notification tests."""

import pytest

from tests.wechat.conftest import emulator, emulator_server  # noqa: F401 (fixtures)
from wechat.constants import EMULATOR_PUSH_TEMPLATE


@pytest.fixture
def service_account(emulator, settings):  # noqa: F811 (the fixture imported above)
    """The emulator as a verified service account: template messages allowed."""
    emulator.state.configure(account_type="service")
    settings.WECHAT_ACCOUNT_TYPE = "service"
    settings.WECHAT_TEMPLATE_PUSH = EMULATOR_PUSH_TEMPLATE
    return emulator


@pytest.fixture
def subscription_account(emulator, settings):  # noqa: F811
    """The emulator as a subscription account: subscription notifications only."""
    emulator.state.configure(account_type="subscription")
    settings.WECHAT_ACCOUNT_TYPE = "subscription"
    settings.WECHAT_TEMPLATE_PUSH = EMULATOR_PUSH_TEMPLATE
    return emulator
