from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """Channel QR codes (issue 13 item 4): a parametric QR code per branch, activity, poster or
    campaign, and the follows and scans it brought (its own app label, so its tables and
    migrations stay apart from the push pipeline's)."""

    name = "wechat.channels"
    label = "wechat_channels"
    verbose_name = _("WeChat channels")

    def ready(self):
        from . import receivers  # noqa: F401  (listens to wechat.signals.callback_received)
