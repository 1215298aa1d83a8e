"""Error reports (alumni_cms/sentry.py): only with SENTRY_DSN, and never personal data."""

import os
import subprocess
import sys
from pathlib import Path

from alumni_cms.sentry import before_send, sentry_init

ROOT = Path(__file__).resolve().parent.parent.parent


def test_without_a_dsn_sentry_is_not_even_imported():
    code = (
        "import django, sys; django.setup(); "
        "from django.conf import settings; settings.INSTALLED_APPS; "
        "print('sentry_sdk' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "alumni_cms.settings", "SENTRY_DSN": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_sentry_init_does_nothing_without_a_dsn():
    assert sentry_init(dsn="", environment="production") is False


def test_before_send_masks_the_message_and_exception_values():
    event = {
        "message": "no record for 13800138000",
        "logentry": {"message": "mail to zhang.san@example.com", "params": []},
        "exception": {"values": [{"type": "ValueError", "value": "access_token=SECRET-TOKEN-1"}]},
        "breadcrumbs": {"values": [{"message": "GET /me/?code=OAUTHCODE9"}]},
    }
    text = repr(before_send(event, {}))
    for secret in ("13800138000", "zhang.san@example.com", "SECRET-TOKEN-1", "OAUTHCODE9"):
        assert secret not in text


def test_before_send_drops_the_requests_cookies_body_and_query():
    event = {
        "request": {
            "url": "https://alumni.example.edu.cn/activities/registration/SECRETTOKEN/cancel/",
            "query_string": "signature=abc",
            "cookies": {"sessionid": "s"},
            "data": {"phone": "13800138000"},
            "headers": {"Cookie": "sessionid=s", "User-Agent": "WeChat"},
        }
    }
    request = before_send(event, {})["request"]
    assert set(request) == {"url", "headers"}
    assert "SECRETTOKEN" not in request["url"]
    assert request["headers"] == {"User-Agent": "WeChat"}


def test_sentry_starts_without_personal_data_when_a_dsn_is_set():
    code = (
        "from alumni_cms.sentry import sentry_init, before_send; import sentry_sdk; "
        "assert sentry_init(dsn='https://key@127.0.0.1:9/1', environment='test'); "
        "options = sentry_sdk.get_client().options; "
        "print(options['send_default_pii'], options['before_send'] is before_send)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False True"
