"""`python manage.py heartbeat`: is a Celery worker (and the scheduler) alive? Exit 1 if not.

manage.py heartbeat            # the scheduler's last heartbeat is recent (a health check)
manage.py heartbeat --ping     # send a task now and wait until a worker has run it
manage.py heartbeat --next     # wait for the scheduler's next heartbeat to be run
"""

import secrets
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from alumni_cms.heartbeat import BEAT, heartbeat_last
from alumni_cms.tasks import heartbeat_task

POLL_SECONDS = 0.25


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Check that Celery works: by default that the scheduler's heartbeat, run by a worker, "
            "is recent; --ping sends a task and waits for a worker to finish it; --next waits for "
            "the scheduler's next heartbeat. Exits with 1 when the answer is no."
        )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--ping", action="store_true", help=_("send a task and wait for it"))
        mode.add_argument(
            "--next", action="store_true", help=_("wait for the next scheduled heartbeat")
        )
        parser.add_argument(
            "--timeout", type=float, default=30.0, help=_("seconds to wait (--ping, --next)")
        )
        parser.add_argument(
            "--max-age",
            type=float,
            default=None,
            help=_("seconds the last heartbeat may be old (default: 3 scheduler intervals)"),
        )

    def handle(self, *args, ping=False, next=False, timeout=30.0, max_age=None, **options):
        if ping:
            source = f"ping-{secrets.token_hex(8)}"
            started = time.time()
            try:
                heartbeat_task.delay(source)
            except OperationalError as error:
                raise CommandError(
                    _("Cannot send a task: the broker does not answer (%(error)s).")
                    % {"error": error}
                ) from error
            self._wait(source=source, after=0.0, timeout=timeout)  # its own key: any stamp
            self.stdout.write(
                _("A worker ran the task in %(seconds).1f s.") % {"seconds": time.time() - started}
            )
        elif next:
            started = time.time()
            self._wait(source=BEAT, after=started, timeout=timeout)
            self.stdout.write(
                _("The scheduler's heartbeat came after %(seconds).1f s.")
                % {"seconds": time.time() - started}
            )
        else:
            if max_age is None:
                max_age = 3 * settings.HEARTBEAT_INTERVAL_SECONDS
            last = heartbeat_last(source=BEAT)
            if last is None:
                raise CommandError(_("No heartbeat yet: is the scheduler (celery beat) running?"))
            age = time.time() - last
            if age > max_age:
                raise CommandError(
                    _("The last heartbeat is %(age)d s old (at most %(max)d s allowed).")
                    % {"age": age, "max": max_age}
                )
            self.stdout.write(_("The last heartbeat is %(age)d s old.") % {"age": age})

    def _wait(self, *, source: str, after: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = heartbeat_last(source=source)
            if last is not None and last >= after:
                return
            time.sleep(POLL_SECONDS)
        raise CommandError(
            _("No worker ran the heartbeat within %(timeout)d s.") % {"timeout": timeout}
        )
