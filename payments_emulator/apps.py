from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsEmulatorConfig(AppConfig):
    """`manage.py wechatpay_emulator`. Installed only when WECHATPAY_EMULATOR is on."""

    name = "payments_emulator"
    verbose_name = _("WeChat Pay emulator")
