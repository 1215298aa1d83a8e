from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Alumni activities")

    def ready(self):
        from . import receivers  # noqa: F401  (editorial.item_published, check_in_requested)
