from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Site core")

    def ready(self):
        # django-axes names its admin section after its label (shown as AXES) and has no
        # Chinese; its AppConfig cannot be swapped here without a settings change, and
        # verbose_name is the public attribute the admin reads.
        from django.apps import apps

        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Login lockout")
