"""Fixtures the activities tests borrow: the WeChat emulator (confirmations in WeChat) and a
broker that is down (confirmations queued while it is)."""

from tests.wechat.conftest import emulator, emulator_server  # noqa: F401
from tests.wechat.test_broker_down import broker_down  # noqa: F401
