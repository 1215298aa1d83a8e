"""`manage.py check --deploy`: WeChat Pay's development defaults must not reach production.

With DEBUG off: the payment emulator on (or WECHATPAY_BASE_URL its address) is an error; and
once a merchant is set (WECHATPAY_MCHID; empty means online giving is off), the emulator's
public merchant number, APIv3 key or serial, key files in its key folder, or missing keys.
Tagged `deploy`, like alumni_cms/checks.py, so tests and runserver are not stopped.
"""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.translation import gettext as _

from .constants import EMULATOR_API_V3_KEY, EMULATOR_MCHID, EMULATOR_SERIAL_NO

PLACEHOLDER = "CHANGE-ME"


def _emulator_address(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.hostname, parts.port) == (
        settings.WECHATPAY_EMULATOR_HOST,
        settings.WECHATPAY_EMULATOR_PORT,
    )


def _in_emulator_keys(path: str) -> bool:
    if not path:
        return False
    folder = Path(settings.WECHATPAY_EMULATOR_KEY_DIR).resolve()
    return folder in Path(path).resolve().parents


@register(Tags.security, deploy=True)
def wechatpay_settings_check(app_configs=None, **kwargs) -> list[Error]:
    """Errors for the payment emulator's values still in force while DEBUG is off."""
    if settings.DEBUG:
        return []
    errors = []
    if settings.WECHATPAY_EMULATOR or _emulator_address(settings.WECHATPAY_BASE_URL):
        errors.append(
            Error(
                _(
                    "The bundled WeChat Pay emulator is on (WECHATPAY_EMULATOR, or "
                    "WECHATPAY_BASE_URL is its address) while DEBUG is off: no gift is real."
                ),
                hint=_(
                    "Set WECHATPAY_EMULATOR=false and the merchant's WECHATPAY_* values "
                    "(README, 'Online giving')."
                ),
                id="payments.E001",
            )
        )
    if not settings.WECHATPAY_MCHID:
        return errors  # online giving is off: the project pages show the bank account only
    public_values = {EMULATOR_MCHID, EMULATOR_API_V3_KEY, EMULATOR_SERIAL_NO}
    for number, name in enumerate(("WECHATPAY_MCHID", "WECHATPAY_API_V3_KEY"), 2):
        value = getattr(settings, name)
        if not value or value in public_values or PLACEHOLDER in value:
            errors.append(
                Error(
                    _("%(name)s is empty, the emulator's or a placeholder.") % {"name": name},
                    hint=_("Set %(name)s from the merchant platform (pay.weixin.qq.com).")
                    % {"name": name},
                    id=f"payments.E00{number}",
                )
            )
    if len(settings.WECHATPAY_API_V3_KEY.encode()) != 32:
        errors.append(
            Error(
                _("WECHATPAY_API_V3_KEY is not 32 bytes."),
                hint=_("Copy the APIv3 key from the merchant platform (账户中心 → API安全)."),
                id="payments.E004",
            )
        )
    serial = settings.WECHATPAY_SERIAL_NO
    if not serial or serial in public_values:
        errors.append(
            Error(
                _("WECHATPAY_SERIAL_NO is empty or the emulator's."),
                hint=_("Set the serial number of the merchant API certificate."),
                id="payments.E005",
            )
        )
    for number, name in enumerate(
        ("WECHATPAY_PRIVATE_KEY_PATH", "WECHATPAY_PLATFORM_PUBLIC_KEY_PATH"), 6
    ):
        path = getattr(settings, name)
        if not path or _in_emulator_keys(path) or not Path(path).is_file():
            errors.append(
                Error(
                    _("%(name)s is empty, not a file, or one of the emulator's generated keys.")
                    % {"name": name},
                    hint=_("Point %(name)s at the merchant's key file (readable by the site only).")
                    % {"name": name},
                    id=f"payments.E00{number}",
                )
            )
    if urlsplit(settings.WECHATPAY_NOTIFY_URL).scheme != "https":
        errors.append(
            Error(
                _(
                    "WECHATPAY_NOTIFY_URL is %(url)r: WeChat Pay posts notifications to https "
                    "addresses only."
                )
                % {"url": settings.WECHATPAY_NOTIFY_URL},
                hint=_("Set SITE_URL (or WECHATPAY_NOTIFY_URL) to the site's https address."),
                id="payments.E008",
            )
        )
    return errors
