"""`python manage.py backup --to FOLDER`: back up the database and the media folder.

manage.py backup --to /var/backups/alumni-cms            # a new alumni-cms-<time>/ there
manage.py backup --to /var/backups/alumni-cms --keep 14  # and delete all but the newest 14
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from alumni_cms.backup import BackupError, backup_create


class Command(BaseCommand):
    requires_system_checks = []

    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Back up the database (pg_dump's custom format, or SQLite's online backup) and the "
            "media folder (tar.gz) with a manifest of checksums into a new folder under --to."
        )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help=_("folder that receives the backup"))
        parser.add_argument(
            "--keep", type=int, default=0, help=_("then delete all but the newest N backups there")
        )

    def handle(self, *args, to, keep=0, **options):
        target = Path(to)
        try:
            folder = backup_create(
                target=target,
                db=connections["default"].settings_dict,
                media_root=Path(settings.MEDIA_ROOT),
            )
        except (BackupError, OSError) as exc:
            raise CommandError(_("Backup failed: %(error)s") % {"error": exc}) from exc
        self.stdout.write(_("Backup written to %(folder)s") % {"folder": folder})
        if keep > 0:
            finished = sorted(
                (p for p in target.glob("alumni-cms-*") if (p / "manifest.json").is_file()),
                key=lambda p: p.stat().st_mtime,
            )
            for old in finished[:-keep]:
                shutil.rmtree(old)
                self.stdout.write(_("Deleted the old backup %(folder)s") % {"folder": old})
