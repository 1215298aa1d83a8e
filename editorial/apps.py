from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = _("Editorial workflow")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import receivers  # noqa: F401  (connects the notification receivers)
        from .roles import roles_sync_after_migrate

        # Sent once per app after migrate and after a test flush; each app's permissions exist
        # by the time its own signal is sent, so the last one completes the roles.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="editorial.roles")

        from django.contrib import admin

        from .admin_login import AdminLoginForm

        # A liaison who tries the admin is told to use the liaison portal (admin_login.py).
        admin.site.login_form = AdminLoginForm
