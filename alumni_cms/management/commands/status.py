"""`python manage.py status`: the system status page in a terminal, for monitoring scripts.

manage.py status           # one line per part; exit 1 when something needs a look
manage.py status --json    # the same as one JSON object
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from alumni_cms.status import system_status


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Print database, cache and broker reachability, the scheduler's and each worker's "
            "last heartbeat, the queue length, failed or stuck pushes and syncs and overdue "
            "scheduled syncs. Exits with 1 when any of them needs a look."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help=_("print one JSON object (English keys, for scripts)"),
        )

    def handle(self, *args, as_json=False, **options):
        status = system_status()
        report = {
            "checks": status["checks"],
            "scheduler_ok": status["scheduler_ok"],
            "worker_heartbeat_ok": status["beat_ok"],
            "workers": {worker["name"]: worker["ok"] for worker in status["workers"]},
            "queue_length": status["queue_length"],
            "follower_sync_ok": not status["follower_sync_overdue"],
            "datacube_sync_ok": not status["datacube_overdue"],
            "problems": [problem.summary for problem in status["problems"]]
            + [problem.summary for problem in status["task_failures"]],
        }
        healthy = (
            all(value == "ok" for value in report["checks"].values())
            and report["scheduler_ok"]
            and report["worker_heartbeat_ok"]
            and not report["problems"]
        )
        if as_json:
            self.stdout.write(json.dumps({"ok": healthy, **report}, ensure_ascii=False))
        else:
            self._print_lines(report)
        if not healthy:
            raise CommandError(_("Something needs a look: see the system status page."))

    def _print_lines(self, report: dict) -> None:
        """One line per part, in the operator's language (--json is for scripts)."""
        parts = {"database": _("Database"), "cache": _("Cache"), "broker": _("Task queue (broker)")}
        for name, value in report["checks"].items():
            state = _("reachable") if value == "ok" else _("not reachable")
            self.stdout.write(
                _("%(part)s: %(state)s") % {"part": parts.get(name, name), "state": state}
            )
        self.stdout.write(
            _("Scheduler: on time") if report["scheduler_ok"] else _("Scheduler: late")
        )
        self.stdout.write(
            _("Scheduled heartbeat run by a worker: on time")
            if report["worker_heartbeat_ok"]
            else _("Scheduled heartbeat run by a worker: late")
        )
        for name, ok in report["workers"].items():
            line = _("Worker %(name)s: on time") if ok else _("Worker %(name)s: late")
            self.stdout.write(line % {"name": name})
        length = report["queue_length"]
        self.stdout.write(
            _("Tasks waiting in the queue: %(count)s")
            % {"count": _("unknown") if length is None else length}
        )
        self.stdout.write(
            _("Follower sync: on time")
            if report["follower_sync_ok"]
            else _("Follower sync: overdue")
        )
        self.stdout.write(
            _("Reading statistics sync: on time")
            if report["datacube_sync_ok"]
            else _("Reading statistics sync: overdue")
        )
        for summary in report["problems"]:
            self.stdout.write(_("Problem: %(summary)s") % {"summary": summary})
