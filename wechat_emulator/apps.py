from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatEmulatorConfig(AppConfig):
    """The emulator's Django side: its admin page and `manage.py wechat_emulator`.

    Installed only when WECHAT_EMULATOR is on (settings.py); the emulator itself (server, state,
    client) imports neither Django nor wechatpy.
    """

    name = "wechat_emulator"
    verbose_name = _("WeChat emulator")
