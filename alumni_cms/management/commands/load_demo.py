"""`python manage.py load_demo`: the demo users and content, loaded once and kept across runs."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from alumni_cms.demo.loader import DemoRefusedError, demo_load


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Load the demo users and content. Safe to run again: it only adds what is missing "
            "and never changes what is there (python3 dev.py run calls it on every start). "
            "Refused when DEBUG is off."
        )

    def handle(self, *args, **options):
        try:
            report = demo_load()
        except DemoRefusedError as exc:
            raise CommandError(str(exc)) from exc
        created = sum(tally.created for tally in report.values())
        found = sum(tally.found for tally in report.values())
        self.stdout.write(
            _("Demo users and content: %(created)d rows created, %(found)d already there.")
            % {"created": created, "found": found}
        )
        for model, tally in report.items():
            if tally.created or tally.found:
                self.stdout.write(
                    _("  %(kind)s: %(created)d created, %(found)d already there")
                    % {
                        "kind": model._meta.verbose_name_plural,
                        "created": tally.created,
                        "found": tally.found,
                    }
                )
