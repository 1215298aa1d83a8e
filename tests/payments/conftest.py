"""The WeChat Pay emulator for tests: one server per session on a free port with its own keys
in a temporary folder, reset for each test; settings WECHATPAY_* point at it.

`pay_emulator.state` is the control surface: `set_faults(...)`, `configure(...)`, `pay(token)`,
`snapshot()`. Notifications go to `notify_url` (a live_server URL when a test needs them).
"""

import pytest

from payments.constants import (
    MERCHANT_PRIVATE_KEY_FILE,
    PLATFORM_PUBLIC_KEY_FILE,
)
from payments.gateway import WeChatPayGateway
from payments_emulator import PayEmulatorConfig, PayEmulatorServer

TEST_CONFIG = PayEmulatorConfig(
    mchid="1900000999",
    appid="wx-pay-test-app",
    api_v3_key="test-apiv3-key-00000000000000000",
    platform_serial="PUB_KEY_ID_TEST",
    notify_delay=0.05,
    notify_retries=(0.2, 0.2, 0.5),
    notify_timeout=5.0,
)


@pytest.fixture(scope="session")
def pay_emulator_server(tmp_path_factory):
    server = PayEmulatorServer(key_dir=tmp_path_factory.mktemp("paykeys"), config=TEST_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pay_emulator(pay_emulator_server, settings):
    server = pay_emulator_server
    server.state.reset()
    config = server.state.config
    settings.WECHATPAY_BASE_URL = server.url
    settings.WECHATPAY_MCHID = config.mchid
    settings.WECHATPAY_APPID = config.appid
    settings.WECHATPAY_API_V3_KEY = config.api_v3_key
    settings.WECHATPAY_SERIAL_NO = "TEST-MERCHANT-SERIAL"
    settings.WECHATPAY_PLATFORM_SERIAL = config.platform_serial
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(server.state.key_dir / MERCHANT_PRIVATE_KEY_FILE)
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = str(
        server.state.key_dir / PLATFORM_PUBLIC_KEY_FILE
    )
    settings.WECHATPAY_TIMEOUT = 5.0
    yield server
    server.state.reset()  # stops notifications still pending
    # One being delivered writes to the site's database, which the test's teardown flushes next.
    server.state.settle()


@pytest.fixture
def pay_gateway(pay_emulator):
    return WeChatPayGateway()
