from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from editorial.signals import item_published, item_withdrawn

        from .pagecache import content_saved, pages_changed

        post_save.connect(content_saved, dispatch_uid="stats.pages.saved")
        post_delete.connect(content_saved, dispatch_uid="stats.pages.deleted")
        item_published.connect(pages_changed, dispatch_uid="stats.pages.published")
        item_withdrawn.connect(pages_changed, dispatch_uid="stats.pages.withdrawn")
