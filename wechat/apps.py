from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    name = "wechat"
    verbose_name = _("WeChat")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the wechat receivers)
