"""`python manage.py search_reindex`: rebuild the public search index from the published items."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from search.services import search_reindex


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Rebuild the public search index from the published items. Publishing, withdrawing "
            "and editing keep it current; run this after loading items in bulk (bulk_create, SQL)."
        )

    def handle(self, *args, **options):
        count = search_reindex()
        self.stdout.write(_("Search index rebuilt: %(count)d published items.") % {"count": count})
