"""`python manage.py restore FOLDER`: restore a backup made by `manage.py backup`.

manage.py restore /var/backups/alumni-cms/alumni-cms-20261202-031700
    into DATABASE_URL's database and MEDIA_ROOT, which must be empty (a PostgreSQL database
    that does not exist is created); --database-url and --media-root name others; --replace
    replaces what is there.
"""

import tarfile
from pathlib import Path

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from alumni_cms.backup import BackupError, backup_restore


class Command(BaseCommand):
    requires_system_checks = []

    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Restore a backup folder made by `manage.py backup` into an empty database and media "
            "folder (by default those of the settings), after checking its checksums."
        )

    def add_arguments(self, parser):
        parser.add_argument("folder", help=_("the backup's folder (alumni-cms-<time>)"))
        parser.add_argument(
            "--database-url", default="", help=_("restore into this database, not DATABASE_URL's")
        )
        parser.add_argument(
            "--media-root", default="", help=_("restore media here, not MEDIA_ROOT")
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=_("replace the tables and media files that are there (else refuse)"),
        )

    def handle(self, *args, folder, database_url="", media_root="", replace=False, **options):
        if database_url:
            try:
                db = environ.Env.db_url_config(database_url)
            except Exception as exc:  # django-environ raises several kinds for a bad URL
                raise CommandError(
                    _("Restore failed: %(error)s") % {"error": f"--database-url: {exc!r}"}
                ) from exc
        else:
            db = connections["default"].settings_dict
            connections["default"].close()
        try:
            result = backup_restore(
                folder=Path(folder),
                db=db,
                media_root=Path(media_root or settings.MEDIA_ROOT),
                replace=replace,
            )
        except (BackupError, OSError) as exc:
            raise CommandError(_("Restore failed: %(error)s") % {"error": exc}) from exc
        except tarfile.TarError as exc:  # the "data" filter's refusals (paths, links) among them
            raise CommandError(
                _("Restore failed: %(error)s")
                % {
                    "error": _(
                        "the media archive holds an entry that is not extracted (%(why)s); the "
                        "database is restored, the media folder is left as it was"
                    )
                    % {"why": exc}
                }
            ) from exc
        self.stdout.write(
            _(
                "Restored the backup of %(time)s (version %(version)s): the database and "
                "%(count)d media files."
            )
            % {
                "time": result.manifest["created_at"],
                "version": result.manifest["app_version"],
                "count": result.media_files,
            }
        )
        if result.migrations_behind:
            self.stdout.write(
                _("The code has %(count)d migrations the backup does not: run `manage.py migrate`.")
                % {"count": len(result.migrations_behind)}
            )
