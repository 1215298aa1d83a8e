from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Campus news")

    def ready(self):
        from editorial.intake import register_tip_intake

        from .intake import article_from_tip

        register_tip_intake(article_from_tip)
