from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudienceConfig(AppConfig):
    name = "audience"
    verbose_name = _("Followers and segments")

    def ready(self):
        from core.visitor import register_visitor_resolver
        from wechat.directory import register_follower_lookup

        from . import receivers  # noqa: F401  (listens to wechat.signals.callback_received)
        from .directory import follower_cards
        from .visitor import bound_visitor

        register_visitor_resolver(bound_visitor)
        register_follower_lookup(follower_cards)
