"""`check --deploy` refuses WeChat Pay's development values with DEBUG off (payments/checks.py)."""

import pytest
from django.core.checks import run_checks

from payments.constants import EMULATOR_API_V3_KEY, EMULATOR_MCHID, EMULATOR_SERIAL_NO


@pytest.fixture
def merchant(settings, tmp_path):
    """DEBUG off and a real-looking merchant: its own number, key and key files."""
    settings.DEBUG = False
    settings.WECHATPAY_EMULATOR = False
    settings.WECHATPAY_BASE_URL = "https://api.mch.weixin.qq.com"
    settings.WECHATPAY_EMULATOR_KEY_DIR = tmp_path / "emulator-keys"
    settings.WECHATPAY_MCHID = "1600000001"
    settings.WECHATPAY_API_V3_KEY = "a" * 32
    settings.WECHATPAY_SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    for name in ("apiclient_key.pem", "pub_key.pem"):
        (tmp_path / name).write_text("-----BEGIN KEY-----\n")
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(tmp_path / "apiclient_key.pem")
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = str(tmp_path / "pub_key.pem")
    settings.WECHATPAY_NOTIFY_URL = "https://alumni.example.edu.cn/payments/notify/"
    return settings


def payment_errors() -> set[str]:
    return {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id.startswith("payments.") and message.is_serious()
    }


def test_a_real_merchant_passes(merchant):
    assert payment_errors() == set()


def test_no_merchant_means_online_giving_is_off_and_passes(merchant):
    merchant.WECHATPAY_MCHID = ""
    assert payment_errors() == set()


def test_the_emulator_is_refused_with_debug_off(merchant):
    merchant.WECHATPAY_EMULATOR = True
    assert payment_errors() == {"payments.E001"}


def test_the_emulator_address_is_refused(merchant):
    merchant.WECHATPAY_BASE_URL = (
        f"http://{merchant.WECHATPAY_EMULATOR_HOST}:{merchant.WECHATPAY_EMULATOR_PORT}"
    )
    assert payment_errors() == {"payments.E001"}


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("WECHATPAY_MCHID", EMULATOR_MCHID, "payments.E002"),
        ("WECHATPAY_MCHID", "CHANGE-ME", "payments.E002"),
        ("WECHATPAY_API_V3_KEY", EMULATOR_API_V3_KEY, "payments.E003"),
        ("WECHATPAY_SERIAL_NO", EMULATOR_SERIAL_NO, "payments.E005"),
    ],
)
def test_the_emulators_public_values_are_refused(merchant, name, value, error):
    setattr(merchant, name, value)
    assert error in payment_errors()


def test_an_api_v3_key_of_the_wrong_length_is_refused(merchant):
    merchant.WECHATPAY_API_V3_KEY = "short"
    assert payment_errors() == {"payments.E004"}


def test_the_emulators_generated_keys_are_refused(merchant):
    folder = merchant.WECHATPAY_EMULATOR_KEY_DIR
    folder.mkdir()
    (folder / "merchant_private_key.pem").write_text("x")
    merchant.WECHATPAY_PRIVATE_KEY_PATH = str(folder / "merchant_private_key.pem")
    assert payment_errors() == {"payments.E006"}


def test_a_missing_key_file_is_refused(merchant, tmp_path):
    merchant.WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = str(tmp_path / "absent.pem")
    assert payment_errors() == {"payments.E007"}


def test_debug_on_skips_the_check(merchant):
    merchant.DEBUG = True
    merchant.WECHATPAY_EMULATOR = True
    assert payment_errors() == set()


def test_a_notify_url_that_is_not_https_is_refused(merchant):
    merchant.WECHATPAY_NOTIFY_URL = "http://alumni.example.edu.cn/payments/notify/"
    assert payment_errors() == {"payments.E008"}
