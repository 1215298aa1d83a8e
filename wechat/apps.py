from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatConfig(AppConfig):
    name = "wechat"
    verbose_name = _("WeChat")

    def ready(self):
        from editorial.publishing import register_preflight

        from . import receivers  # noqa: F401  (connects the wechat receivers)
        from .content import item_problems

        register_preflight(item_problems)
