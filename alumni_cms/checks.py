"""`manage.py check --deploy`: the embedded defaults that must not reach production.

Every default in settings.py lets `dev.py run` work with nothing set; with DEBUG off these
checks refuse the ones that would let a stranger speak in the office's name (the emulator and
its public credentials) or break links and sessions (a generated key, a 127.0.0.1 site URL).
They are tagged `deploy`: the test suite runs with DEBUG off on the same defaults, and plain
`check` (run by runserver and migrate) must stay quiet there.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.translation import gettext as _

from wechat.constants import EMULATOR_TOKEN

# What settings.py falls back to when WECHAT_EMULATOR is on, and the placeholders of
# deploy/env.example: none of them is a real account's value.
EMULATOR_VALUES = frozenset({"wx-emulator-app", "emulator-secret", EMULATOR_TOKEN})
PLACEHOLDER = "CHANGE-ME"
# WeChat's EncodingAESKey: 43 characters of letters and digits (base64 of 32 bytes, without "=").
AES_KEY = re.compile(r"[A-Za-z0-9]{43}")
LOCAL_HOSTS = frozenset({"", "127.0.0.1", "localhost", "::1", "0.0.0.0"})


def _unusable(value: str) -> bool:
    return not value or value in EMULATOR_VALUES or PLACEHOLDER in value


@register(Tags.security, deploy=True)
def production_settings_check(app_configs=None, **kwargs) -> list[Error]:
    """Errors for the development defaults still in force while DEBUG is off."""
    if settings.DEBUG:
        return []
    errors = []
    if settings.WECHAT_EMULATOR or _emulator_address(settings.WECHAT_API_BASE_URL):
        errors.append(
            Error(
                _(
                    "The bundled WeChat emulator is on (WECHAT_EMULATOR, or WECHAT_API_BASE_URL "
                    "is its address) while DEBUG is off: nothing reaches WeChat."
                ),
                hint=_(
                    "Set WECHAT_EMULATOR=false, unset WECHAT_API_BASE_URL (or point it at "
                    "WeChat or your proxy) and set the account's WECHAT_APP_ID, "
                    "WECHAT_APP_SECRET and WECHAT_TOKEN."
                ),
                id="alumni_cms.E001",
            )
        )
    for number, name in enumerate(("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN"), 2):
        if _unusable(getattr(settings, name)):
            errors.append(
                Error(
                    _("%(name)s is empty, the emulator's or a placeholder.") % {"name": name},
                    hint=_(
                        "Set %(name)s to the value of the Official Account's console "
                        "(mp.weixin.qq.com, 设置与开发 → 基本配置)."
                    )
                    % {"name": name},
                    id=f"alumni_cms.E00{number}",
                )
            )
    aes_key = settings.WECHAT_ENCODING_AES_KEY
    if aes_key and not AES_KEY.fullmatch(aes_key):
        errors.append(
            Error(
                _("WECHAT_ENCODING_AES_KEY is not a 43-character EncodingAESKey."),
                hint=_(
                    "Copy WECHAT_ENCODING_AES_KEY from the Official Account's console "
                    "(43 letters and digits), or leave it empty for plaintext callbacks."
                ),
                id="alumni_cms.E005",
            )
        )
    if _secret_key_generated() or PLACEHOLDER in settings.SECRET_KEY:
        errors.append(
            Error(
                _(
                    "SECRET_KEY is not set in the environment (the one in DATA_DIR/.secret is a "
                    "development default)."
                ),
                hint=_(
                    "Set SECRET_KEY to a long random value, the same for every web and "
                    'Celery process: python3 -c "import secrets; print(secrets.token_urlsafe(64))"'
                ),
                id="alumni_cms.E006",
            )
        )
    if (urlsplit(settings.SITE_URL).hostname or "") in LOCAL_HOSTS:
        errors.append(
            Error(
                _(
                    "SITE_URL is %(url)r: links in emails and WeChat articles would point to "
                    "this machine."
                )
                % {"url": settings.SITE_URL},
                hint=_(
                    "Set SITE_URL to the site's public address, e.g. https://alumni.example.edu.cn"
                ),
                id="alumni_cms.E007",
            )
        )
    if settings.SECURE_PROXY_SSL_HEADER and not settings.STATS_CLIENT_IP_HEADER:
        errors.append(
            Error(
                _(
                    "BEHIND_TLS_PROXY is on but STATS_CLIENT_IP_HEADER is empty: every visitor "
                    "would have the proxy's address, so one person's failed logins or sign-ups "
                    "would lock everyone out."
                ),
                hint=_("Set STATS_CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR (deploy/nginx sends it)."),
                id="alumni_cms.E008",
            )
        )
    return errors


def _emulator_address(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.hostname, parts.port) == (
        settings.WECHAT_EMULATOR_HOST,
        settings.WECHAT_EMULATOR_PORT,
    )


def _secret_key_generated() -> bool:
    """Whether SECRET_KEY is the one settings.py generated into DATA_DIR (none was set)."""
    path = settings.DATA_DIR / ".secret"
    try:
        return path.read_text().strip() == settings.SECRET_KEY
    except OSError:
        return False


@register(Tags.caches, Tags.database, deploy=True)
def per_host_defaults_check(app_configs=None, **kwargs) -> list[Warning]:
    """Warnings for the embedded defaults that live in one host's DATA_DIR while DEBUG is off.

    Each works on a single host; with a second web host or worker, that one would have its own
    cache (its own rate limits, page versions and WeChat token), broker (tasks nobody takes),
    database or uploads. Warnings, not errors: a one-host deployment may keep them.
    """
    if settings.DEBUG:
        return []
    warnings = []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("FileBasedCache", "LocMemCache", "DummyCache")):
        warnings.append(
            Warning(
                _("The cache is kept on this host only (CACHE_URL is a file or memory cache)."),
                hint=_(
                    "Set CACHE_URL=redis://host:6379/1, shared by every web host and worker: the "
                    "WeChat access token, rate limits, page versions and heartbeats live there."
                ),
                id="alumni_cms.W001",
            )
        )
    if settings.CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
        warnings.append(
            Warning(
                _("Celery's broker is a folder of this host (CELERY_BROKER_URL=filesystem://)."),
                hint=_(
                    "Set CELERY_BROKER_URL=redis://host:6379/2 or amqp://user:pass@host:5672//: "
                    "tasks sent by another host would never reach this host's worker."
                ),
                id="alumni_cms.W002",
            )
        )
    if any(db["ENGINE"].endswith("sqlite3") for db in settings.DATABASES.values()):
        warnings.append(
            Warning(
                _("The database is an SQLite file on this host (DATABASE_URL)."),
                hint=_(
                    "Set DATABASE_URL=postgres://user:pass@host:5432/name: one database for "
                    "every web host and worker, with row locks the workflow relies on."
                ),
                id="alumni_cms.W003",
            )
        )
    if settings.MEDIA_ROOT_SHARED is None:
        warnings.append(
            Warning(
                _(
                    "Nothing says whether MEDIA_ROOT (%(folder)s) is shared: uploads on one "
                    "host's disk are missing on the others."
                )
                % {"folder": settings.MEDIA_ROOT},
                hint=_(
                    "Set MEDIA_ROOT_SHARED=true once MEDIA_ROOT is on storage every web host "
                    "and worker mounts (NFS, a shared volume), or MEDIA_ROOT_SHARED=false on a "
                    "one-host deployment."
                ),
                id="alumni_cms.W004",
            )
        )
    return warnings
