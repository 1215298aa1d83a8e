"""`python manage.py status`: the system status page in a terminal, for monitoring scripts.

manage.py status           # one line per part; exit 1 when something needs a look
manage.py status --json    # the same as one JSON object
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from alumni_cms.status import system_status


class Command(BaseCommand):
    help = (
        "Print database, cache and broker reachability, the scheduler's and each worker's last "
        "heartbeat, the queue length, failed or stuck pushes and syncs and overdue scheduled "
        "syncs. Exits with 1 when "
        "any of them needs a look."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
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
            for name, value in report["checks"].items():
                self.stdout.write(f"{name}: {value}")
            self.stdout.write(f"scheduler: {'ok' if report['scheduler_ok'] else 'late'}")
            self.stdout.write(f"worker: {'ok' if report['worker_heartbeat_ok'] else 'late'}")
            for name, ok in report["workers"].items():
                self.stdout.write(f"worker {name}: {'ok' if ok else 'late'}")
            self.stdout.write(f"queue: {report['queue_length']}")
            for name in ("follower_sync", "datacube_sync"):
                self.stdout.write(f"{name}: {'ok' if report[name + '_ok'] else 'overdue'}")
            for summary in report["problems"]:
                self.stdout.write(f"problem: {summary}")
        if not healthy:
            raise CommandError(_("Something needs a look: see the system status page."))
