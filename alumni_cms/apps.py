from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AlumniCmsConfig(AppConfig):
    """The site itself: settings, home page, demo data, and the public page cache."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "alumni_cms"
    verbose_name = _("Alumni CMS")

    def ready(self):
        from core.pagecache import content_saved, pages_changed
        from editorial.signals import item_published, item_withdrawn

        from . import checks  # noqa: F401  (registers the deploy checks)

        post_save.connect(content_saved, dispatch_uid="alumni_cms.pages.saved")
        post_delete.connect(content_saved, dispatch_uid="alumni_cms.pages.deleted")
        item_published.connect(pages_changed, dispatch_uid="alumni_cms.pages.published")
        item_withdrawn.connect(pages_changed, dispatch_uid="alumni_cms.pages.withdrawn")
