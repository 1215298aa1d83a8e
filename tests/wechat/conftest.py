"""The WeChat emulator for tests: one server per session on a free port, reset for each test.

Use the `emulator` fixture (an EmulatorServer: `.url`, `.state`) with `gateway` (a
WeChatGateway pointed at it); `emulator.state.set_faults(...)` injects failures,
`emulator.state.snapshot()` shows what it recorded. Settings WECHAT_API_BASE_URL, WECHAT_APP_ID,
WECHAT_APP_SECRET and WECHAT_TOKEN point at the emulator during the test.
"""

import uuid

import pytest

from tests.wechat.support import image_bytes
from wechat.gateway import AccessTokenCache, ArticleFields, WeChatGateway
from wechat.services import tag_choices_forget
from wechat_emulator import EmulatorConfig, EmulatorServer

# Short delays and few followers keep the suite fast; paging still spans several pages.
TEST_EMULATOR_CONFIG = EmulatorConfig(
    app_id=f"wx-test-{uuid.uuid4().hex[:12]}",  # its own token cache key per test run
    app_secret="test-secret",
    token="test-token",
    follower_count=25,
    page_size=10,
    callback_delay=0.05,
    callback_retry_interval=0.05,
    callback_timeout=5.0,
    publish_delay=0.05,
    clientmsgid_retry_window=0,
)


@pytest.fixture(scope="session")
def emulator_server():
    server = EmulatorServer(port=0, config=TEST_EMULATOR_CONFIG).start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server, settings):
    config = emulator_server.state.base_config
    emulator_server.state.reset()
    settings.WECHAT_API_BASE_URL = emulator_server.url
    settings.WECHAT_APP_ID = config.app_id
    settings.WECHAT_APP_SECRET = config.app_secret
    settings.WECHAT_TOKEN = config.token
    settings.WECHAT_ENCODING_AES_KEY = ""
    settings.WECHAT_TIMEOUT = 5.0
    AccessTokenCache(app_id=config.app_id, fetch=lambda: ("", 0)).clear()
    tag_choices_forget()  # a page rendered by an earlier test cached the reset account's tags
    yield emulator_server
    # Callbacks still being delivered write to the site's database, which the test's teardown
    # flushes next: in-memory SQLite fails that flush ("table is locked") instead of waiting.
    emulator_server.state.settle()
    emulator_server.state.reset()  # cancels pending callbacks before the next test


@pytest.fixture
def gateway(emulator):
    return WeChatGateway()


@pytest.fixture
def cover(gateway):
    """A permanent image material for thumb_media_id."""
    return gateway.add_image_material(image_bytes(), "cover.jpg")


@pytest.fixture
def make_draft(gateway, cover):
    """A function creating a valid one-article draft on the emulator; returns its media_id."""

    def make(title: str = "校友返校日", content: str = "<p>欢迎回家。</p>") -> str:
        article = ArticleFields(title=title, content=content, thumb_media_id=cover.media_id)
        return gateway.add_draft([article])

    return make
