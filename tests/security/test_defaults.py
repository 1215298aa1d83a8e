"""Item 8 of issue 10: the embedded development defaults never reach a production process.

`dev.py run` sets DEBUG=true and gets the WeChat emulator and the demo users; with DEBUG off the
emulator is off unless asked for, `check --deploy` refuses every development default still in
force, and the demo users (whose password is in the README) are never created.
"""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError

from alumni_cms.demo.loader import DemoRefusedError, demo_load
from wechat.constants import EMULATOR_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def _aes_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(43))


@pytest.fixture
def production(settings, tmp_path):
    """The README's production values: DEBUG off, the account's own WeChat values, a key and
    site URL of its own."""
    settings.DEBUG = False
    settings.DATA_DIR = tmp_path
    (tmp_path / ".secret").write_text("the-key-a-development-process-generated")
    settings.SECRET_KEY = secrets.token_urlsafe(64)
    settings.SITE_URL = "https://alumni.example.edu.cn"
    settings.WECHAT_EMULATOR = False
    settings.WECHAT_API_BASE_URL = "https://api.weixin.qq.com"
    settings.WECHAT_APP_ID = "wx" + secrets.token_hex(8)
    settings.WECHAT_APP_SECRET = secrets.token_hex(16)
    settings.WECHAT_TOKEN = secrets.token_hex(16)
    settings.WECHAT_ENCODING_AES_KEY = _aes_key()
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.STATS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    return settings


def our_errors() -> set[str]:
    """The ids of this project's errors that `check --deploy` reports."""
    return {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id.startswith("alumni_cms.") and message.is_serious()
    }


# check --deploy


def test_deploy_check_accepts_production_values(production):
    assert our_errors() == set()


def test_deploy_check_refuses_the_emulator_with_debug_off(production):
    production.WECHAT_EMULATOR = True
    assert our_errors() == {"alumni_cms.E001"}


def test_deploy_check_refuses_the_emulator_address_as_api_base_url(production):
    production.WECHAT_API_BASE_URL = (
        f"http://{production.WECHAT_EMULATOR_HOST}:{production.WECHAT_EMULATOR_PORT}"
    )
    assert our_errors() == {"alumni_cms.E001"}


def test_deploy_check_accepts_an_https_proxy_as_api_base_url(production):
    production.WECHAT_API_BASE_URL = "https://wechat-proxy.example.edu.cn"
    assert our_errors() == set()


def test_deploy_check_lets_dev_py_run_use_the_emulator(production):
    production.DEBUG = True
    production.WECHAT_EMULATOR = True
    production.WECHAT_TOKEN = EMULATOR_TOKEN
    assert our_errors() == set()


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("WECHAT_APP_ID", "", "alumni_cms.E002"),
        ("WECHAT_APP_ID", "wx-emulator-app", "alumni_cms.E002"),
        ("WECHAT_APP_SECRET", "", "alumni_cms.E003"),
        ("WECHAT_APP_SECRET", "emulator-secret", "alumni_cms.E003"),
        ("WECHAT_TOKEN", "", "alumni_cms.E004"),
        ("WECHAT_TOKEN", EMULATOR_TOKEN, "alumni_cms.E004"),
        ("WECHAT_TOKEN", "CHANGE-ME", "alumni_cms.E004"),
    ],
)
def test_deploy_check_refuses_missing_or_emulator_wechat_values(production, name, value, error):
    setattr(production, name, value)
    assert our_errors() == {error}


@pytest.mark.parametrize("key", ["CHANGE-ME-43-characters", "a" * 42, "a" * 44, "+" * 43])
def test_deploy_check_refuses_an_aes_key_that_is_not_43_letters_and_digits(production, key):
    production.WECHAT_ENCODING_AES_KEY = key
    assert our_errors() == {"alumni_cms.E005"}


def test_deploy_check_accepts_plaintext_callbacks_without_an_aes_key(production):
    production.WECHAT_ENCODING_AES_KEY = ""
    assert our_errors() == set()


def test_deploy_check_refuses_the_generated_secret_key(production, tmp_path):
    production.SECRET_KEY = (tmp_path / ".secret").read_text()
    assert our_errors() == {"alumni_cms.E006"}


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"]
)
def test_deploy_check_refuses_a_site_url_on_this_machine(production, url):
    production.SITE_URL = url
    assert our_errors() == {"alumni_cms.E007"}


def test_deploy_check_refuses_a_proxy_without_the_client_address_header(production):
    production.STATS_CLIENT_IP_HEADER = ""
    assert our_errors() == {"alumni_cms.E008"}


def test_deploy_check_error_names_the_variable_to_set(production):
    production.WECHAT_EMULATOR = True
    (error,) = [m for m in run_checks(include_deployment_checks=True) if m.id == "alumni_cms.E001"]
    assert "WECHAT_EMULATOR=false" in error.hint


# What a process with nothing set gets


def _settings_of_a_fresh_process(tmp_path, **environment) -> list[str]:
    """WECHAT_EMULATOR, the API base URL and the callback token of a new process whose
    environment holds nothing of ours but `environment`."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(DJANGO_SETTINGS_MODULE="alumni_cms.settings", DATA_DIR=str(tmp_path), **environment)
    code = (
        "from django.conf import settings as s; "
        "print(s.WECHAT_EMULATOR, s.WECHAT_API_BASE_URL, repr(s.WECHAT_TOKEN), sep='|')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


def test_process_with_nothing_set_does_not_use_the_emulator(tmp_path):
    emulator, base_url, token = _settings_of_a_fresh_process(tmp_path)
    assert (emulator, base_url, token) == ("False", "https://api.weixin.qq.com", "''")


def test_process_with_debug_on_uses_the_emulator_as_dev_py_run_does(tmp_path):
    emulator, base_url, token = _settings_of_a_fresh_process(tmp_path, DEBUG="true")
    assert emulator == "True"
    assert base_url.startswith("http://127.0.0.1:")
    assert token == repr(EMULATOR_TOKEN)


# Demo users


@pytest.mark.django_db
def test_load_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
    assert not get_user_model().objects.filter(username="officeadmin").exists()


@pytest.mark.django_db
def test_demo_loader_refuses_with_debug_off_when_called_directly(settings):
    settings.DEBUG = False
    with pytest.raises(DemoRefusedError):
        demo_load()
    assert get_user_model().objects.count() == 0
