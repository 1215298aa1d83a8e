"""The WeChat emulator is a development and test tool: a production process never imports it.

`wechat_emulator` answers as WeChat with public credentials and shows every send on an admin
page. It is installed (settings.py) and its page routed (alumni_cms/urls.py) only when
WECHAT_EMULATOR is on; these tests start a process with deploy/env.example's production values
and look at what it loaded and what its admin answers.
"""

import importlib.util
import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _smoke():
    """deploy/smoke.py (a standalone script, not a package): its reading of deploy/env.example."""
    spec = importlib.util.spec_from_file_location("deploy_smoke", ROOT / "deploy" / "smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Run in a fresh process: what production does at start (the WSGI application, the Celery app
# with its tasks, every URLconf and admin module, the deploy checks), then every module of every
# installed app of ours, then the emulator page's address as a staff user would ask for it.
PRODUCTION_PROCESS = r"""
import importlib, json, pkgutil, sys
from pathlib import Path

from alumni_cms.wsgi import application  # django.setup(): apps, admin autodiscovery
from alumni_cms.celery import app as celery_app

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command, get_commands
from django.http import Http404
from django.test import RequestFactory
from django.urls import NoReverseMatch, get_resolver, resolve, reverse

celery_app.autodiscover_tasks(force=True)
celery_app.loader.import_default_modules()
get_resolver().url_patterns  # the root URLconf and every URLconf it includes
call_command("check", deploy=True, fail_level="ERROR")
root = Path.cwd().resolve()
for config in apps.get_app_configs():
    if root in Path(config.path).resolve().parents:
        for module in pkgutil.walk_packages([config.path], prefix=config.name + "."):
            importlib.import_module(module.name)

request = RequestFactory().get("/admin/wechat/emulator/")
request.user = User(username="root", is_active=True, is_staff=True, is_superuser=True)
try:
    match = resolve(request.path)
    match.func(request, *match.args, **match.kwargs)
    page = "answered"
except Http404:
    page = "404"
try:
    reverse("wechat_emulator:page")
    named = True
except NoReverseMatch:
    named = False
index = json.dumps(admin.site.get_app_list(request), default=str)
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.split(".")[0] == "wechat_emulator"),
    "pay_modules": sorted(m for m in sys.modules if m.split(".")[0] == "payments_emulator"),
    "pay_command": "wechatpay_emulator" in get_commands(),
    "apps": [c.name for c in apps.get_app_configs()],
    "command": "wechat_emulator" in get_commands(),
    "page": page,
    "named": named,
    "index_mentions_emulator": "emulator" in index,
}))
"""


def _production_env(tmp_path, **changes) -> dict:
    """deploy/env.example with its placeholders filled, nothing else of this process's."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(_smoke().env_example())
    alphabet = string.ascii_letters + string.digits
    env.update(
        DJANGO_SETTINGS_MODULE="alumni_cms.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",  # nothing here opens it
        EMAIL_URL="consolemail://",
        WECHAT_APP_ID="wx" + secrets.token_hex(8),
        WECHAT_APP_SECRET=secrets.token_hex(16),
        WECHAT_TOKEN=secrets.token_hex(16),
        WECHAT_ENCODING_AES_KEY="".join(secrets.choice(alphabet) for _ in range(43)),
    )
    assert not [key for key, value in env.items() if "CHANGE-ME" in value]
    assert (env["DEBUG"], env["WECHAT_EMULATOR"]) == ("false", "false")
    env.update(changes)
    return env


def _start_production_process(tmp_path, **changes) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROCESS],
        cwd=ROOT,
        env=_production_env(tmp_path, **changes),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return _start_production_process(tmp_path_factory.mktemp("production"))


def test_production_process_never_imports_the_emulator(production):
    assert production["modules"] == []


def test_production_process_never_imports_the_payment_emulator(production):
    assert production["pay_modules"] == []
    assert "payments_emulator" not in production["apps"]
    assert production["pay_command"] is False


def test_production_process_does_not_install_the_emulator_app(production):
    assert "wechat_emulator" not in production["apps"]
    assert production["command"] is False


def test_production_admin_has_no_emulator_page(production):
    assert (production["page"], production["named"]) == ("404", False)


def test_production_admin_index_does_not_mention_the_emulator(production):
    assert production["index_mentions_emulator"] is False


def test_process_with_the_emulator_on_has_its_page(tmp_path):
    """The same process with WECHAT_EMULATOR on (as `dev.py run`): the guard is the setting."""
    process = _start_production_process(tmp_path, DEBUG="true", WECHAT_EMULATOR="true")
    assert "wechat_emulator.views" in process["modules"]
    assert "payments_emulator.server" in process["pay_modules"]
    assert (process["page"], process["named"]) == ("answered", True)
