from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Online giving with WeChat Pay: orders, the notification endpoint, the payments gateway.

    Depends on donations (a paid order becomes a Gift through donations.services); donations
    never imports payments.
    """

    name = "payments"
    verbose_name = _("Online giving")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check)
