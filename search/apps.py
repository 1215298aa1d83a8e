from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import receivers
        from .services import search_reindex_after_migrate

        receivers.connect()
        # Sent for this app once its tables exist (after every migrate and test flush).
        post_migrate.connect(search_reindex_after_migrate, sender=self, dispatch_uid="search")
