"""The system status page's figures, and the problems (failed or stuck pushes and syncs,
failed background tasks) that are mailed to the office admins once each.

Read-only but for `Problem` rows and the media-usage figure in the cache. The project may
import every app, so the rows of wechat, audience and stats are read here directly.
"""

import hashlib
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max, Min, Q
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audience.models import FollowerSyncRun, Segment, SyncStatus
from core.redaction import redact
from stats.models import WeChatSyncedDay
from wechat.models import Push, PushState

from .health import health_checks
from .heartbeat import BEAT, SCHEDULER, heartbeat_last, workers_last
from .models import Problem, ProblemKind

logger = logging.getLogger(__name__)

MEDIA_USAGE_KEY = "alumni_cms:media_usage"
# Problems found this long ago or earlier are not looked for again (a first run on an old
# database does not mail every push that ever failed).
LOOKBACK = timedelta(days=2)
WORKING_PUSH_STATES = (
    PushState.APPROVED,
    PushState.UPLOADING,
    PushState.DRAFT_CREATED,
    PushState.SENT,
)


@dataclass(frozen=True)
class Found:
    key: str
    kind: str
    summary: str
    url: str = ""


def _push_url(pk: int) -> str:
    return reverse("admin:wechat_push_change", args=[pk])


def pushes_failed(*, now=None) -> list[Found]:
    now = now or timezone.now()
    rows = Push.objects.filter(state=PushState.FAILED, updated_at__gte=now - LOOKBACK)
    return [
        Found(
            key=f"push:{push.pk}:failed",
            kind=ProblemKind.PUSH_FAILED,
            summary=_("Push #%(id)s failed (%(reason)s)")
            % {"id": push.pk, "reason": _reason(push.error_code, push.error_message)},
            url=_push_url(push.pk),
        )
        for push in rows.only("pk", "error_code", "error_message")
    ]


def pushes_stuck(*, now=None) -> list[Found]:
    """Pushes in a working state that no run holds, that nothing moved for OPS_STUCK_AFTER and
    whose next look by the scheduler (if any) is overdue by as long; not those waiting for
    their send time."""
    now = now or timezone.now()
    before = now - settings.OPS_STUCK_AFTER
    rows = (
        Push.objects.filter(state__in=WORKING_PUSH_STATES, updated_at__lt=before)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lt=before))
        .exclude(state=PushState.APPROVED, send_at__gt=now)
    )
    return [
        Found(
            key=f"push:{push.pk}:stuck:{push.state}",
            kind=ProblemKind.PUSH_STUCK,
            summary=_("Push #%(id)s has not moved since %(time)s (%(state)s)")
            % {
                "id": push.pk,
                "time": _local(push.updated_at),
                "state": push.get_state_display(),
            },
            url=_push_url(push.pk),
        )
        for push in rows.only("pk", "state", "updated_at")
    ]


def follower_syncs_failed(*, now=None) -> list[Found]:
    now = now or timezone.now()
    rows = FollowerSyncRun.objects.filter(
        status=SyncStatus.FAILED, started_at__gte=now - LOOKBACK
    ).only("pk", "error")
    return [
        Found(
            key=f"followersync:{run.pk}:failed",
            kind=ProblemKind.FOLLOWER_SYNC_FAILED,
            summary=_("Follower sync #%(id)s failed (%(reason)s)")
            % {"id": run.pk, "reason": _reason(None, run.error)},
            url=reverse("admin:audience_followersyncrun_change", args=[run.pk]),
        )
        for run in rows
    ]


def follower_syncs_stuck(*, now=None) -> list[Found]:
    now = now or timezone.now()
    rows = (
        FollowerSyncRun.objects.filter(status=SyncStatus.RUNNING)
        .annotate(progress_at=Coalesce("heartbeat_at", "started_at"))
        .filter(progress_at__lt=now - settings.OPS_STUCK_AFTER)
        .only("pk")
    )
    return [
        Found(
            key=f"followersync:{run.pk}:stuck",
            kind=ProblemKind.FOLLOWER_SYNC_STUCK,
            summary=_("Follower sync #%(id)s shows no progress since %(time)s")
            % {"id": run.pk, "time": _local(run.progress_at)},
            url=reverse("admin:audience_followersyncrun_change", args=[run.pk]),
        )
        for run in rows
    ]


def segment_syncs_failed(*, now=None) -> list[Found]:
    rows = Segment.objects.exclude(last_sync_error="").only("pk", "name", "last_sync_error")
    found = []
    for segment in rows:
        # A new error text is a new failure; the same one stays one problem.
        digest = hashlib.sha1(segment.last_sync_error.encode()).hexdigest()[:12]
        found.append(
            Found(
                key=f"segment:{segment.pk}:failed:{digest}",
                kind=ProblemKind.SEGMENT_SYNC_FAILED,
                summary=_("Segment #%(id)s could not be synced to WeChat (%(reason)s)")
                % {"id": segment.pk, "reason": _reason(None, segment.last_sync_error)},
                url=reverse("admin:audience_segment_change", args=[segment.pk]),
            )
        )
    return found


def segment_syncs_stuck(*, now=None) -> list[Found]:
    now = now or timezone.now()
    rows = Segment.objects.filter(sync_started_at__lt=now - settings.OPS_STUCK_AFTER).only(
        "pk", "sync_started_at"
    )
    return [
        Found(
            key=f"segment:{segment.pk}:stuck:{int(segment.sync_started_at.timestamp())}",
            kind=ProblemKind.SEGMENT_SYNC_STUCK,
            summary=_("Segment #%(id)s has been syncing since %(time)s")
            % {"id": segment.pk, "time": _local(segment.sync_started_at)},
            url=reverse("admin:audience_segment_change", args=[segment.pk]),
        )
        for segment in rows
    ]


def media_disk_full(*, now=None) -> list[Found]:
    """The disk holding MEDIA_ROOT at OPS_DISK_ALERT_PERCENT or more, as last measured."""
    usage = cache.get(MEDIA_USAGE_KEY) or {}
    if not usage.get("disk_total"):
        return []
    percent = 100 * usage["disk_used"] / usage["disk_total"]
    if percent < settings.OPS_DISK_ALERT_PERCENT:
        return []
    day = timezone.localdate(now or timezone.now()).isoformat()
    return [
        Found(
            key=f"disk:{day}",
            kind=ProblemKind.DISK_FULL,
            summary=_("The disk of the uploaded files is %(percent)d%% full (%(free)s free)")
            % {"percent": percent, "free": filesizeformat(usage.get("disk_free", 0))},
            url=reverse("system_status"),
        )
    ]


# The beat entries (settings.CELERY_BEAT_SCHEDULE) whose success the status page watches.
FOLLOWER_SYNC_ENTRY = "audience-followers-sync-nightly"
DATACUBE_SYNC_ENTRY = "stats-wechat-sync-daily"


def schedule_last_due(schedule, *, at: datetime) -> datetime | None:
    """The latest moment at or before `at` when a beat schedule (a timedelta or a crontab)
    was due; None for a crontab that was not due in the 35 days before."""
    if isinstance(schedule, timedelta):
        return at - schedule
    # A crontab's fields are sets of the hours, minutes, weekdays (Sunday 0), days and months
    # it fires on, in CELERY_TIMEZONE.
    zone = ZoneInfo(settings.CELERY_TIMEZONE)
    local = at.astimezone(zone)
    for back in range(36):
        day = local.date() - timedelta(days=back)
        if not (
            day.month in schedule.month_of_year
            and day.day in schedule.day_of_month
            and day.isoweekday() % 7 in schedule.day_of_week
        ):
            continue
        times = sorted(
            (
                datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                for hour in schedule.hour
                for minute in schedule.minute
            ),
            reverse=True,
        )
        for moment in times:
            if moment <= local:
                return moment
    return None


def _sync_due(entry: str, *, now: datetime) -> datetime | None:
    """When the beat entry's last run was due, if it should have finished by `now` (its time
    plus OPS_SYNC_OVERDUE_AFTER, for retries) and the site was installed before it (no alarm on
    a fresh install for a run that was never due); else None."""
    schedule = settings.CELERY_BEAT_SCHEDULE.get(entry, {}).get("schedule")
    if schedule is None:
        return None
    due = schedule_last_due(schedule, at=now - settings.OPS_SYNC_OVERDUE_AFTER)
    if due is None:
        return None
    installed = MigrationRecorder.Migration.objects.aggregate(first=Min("applied"))["first"]
    if installed is None or installed > due:
        return None
    return due


def follower_sync_overdue(*, now=None) -> list[Found]:
    """The scheduled follower sync did not finish after its last due time (failing every time,
    or never run: beat or the workers down, the task lost)."""
    now = now or timezone.now()
    due = _sync_due(FOLLOWER_SYNC_ENTRY, now=now)
    if due is None:
        return []
    last = FollowerSyncRun.objects.filter(status=SyncStatus.FINISHED).aggregate(
        last=Max("finished_at")
    )["last"]
    if last is not None and last >= due:
        return []
    return [
        Found(
            key=f"followersync:overdue:{due:%Y%m%d%H%M}",
            kind=ProblemKind.FOLLOWER_SYNC_OVERDUE,
            summary=_("The follower sync due at %(due)s has not finished (last finished: %(last)s)")
            % {"due": _local(due), "last": _local(last) if last else _("never")},
            url=reverse("admin:audience_followersyncrun_changelist"),
        )
    ]


def datacube_sync_overdue(*, now=None) -> list[Found]:
    """The reading statistics of the day before the daily sync's last due time are missing
    (the sync keeps failing, or never ran)."""
    now = now or timezone.now()
    due = _sync_due(DATACUBE_SYNC_ENTRY, now=now)
    if due is None:
        return []
    wanted = timezone.localdate(due) - timedelta(days=1)
    if WeChatSyncedDay.objects.filter(day__gte=wanted).exists():
        return []
    last = WeChatSyncedDay.objects.aggregate(last=Max("day"))["last"]
    return [
        Found(
            key=f"datacube:overdue:{due:%Y%m%d%H%M}",
            kind=ProblemKind.DATACUBE_SYNC_OVERDUE,
            summary=_(
                "The reading statistics of %(day)s were not synced from WeChat by %(due)s "
                "(latest day synced: %(last)s)"
            )
            % {
                "day": wanted.isoformat(),
                "due": _local(due),
                "last": last.isoformat() if last else _("never"),
            },
            url=reverse("system_status"),
        )
    ]


FINDERS = (
    media_disk_full,
    pushes_failed,
    pushes_stuck,
    follower_syncs_failed,
    follower_syncs_stuck,
    segment_syncs_failed,
    segment_syncs_stuck,
    follower_sync_overdue,
    datacube_sync_overdue,
)


def _reason(code, message: str) -> str:
    text = f"{code}: {message}" if code else (message or "?")
    return redact(text)[:200]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def problems_find(*, now=None) -> list[Problem]:
    """Record every current problem not recorded yet; return the new ones."""
    new = []
    with translation.override(settings.LANGUAGE_CODE):
        for finder in FINDERS:
            for found in finder(now=now):
                problem, created = Problem.objects.get_or_create(
                    key=found.key,
                    defaults={
                        "kind": found.kind,
                        "summary": found.summary[:500],
                        "url": found.url,
                    },
                )
                if created:
                    new.append(problem)
    return new


def task_failure_record(*, task_name: str, task_id: str, error: BaseException) -> Problem:
    """Record a background task that failed for good (after its retries), by name and the
    error's kind; the error's text is masked (core.redaction)."""
    with translation.override(settings.LANGUAGE_CODE):
        summary = _("Background task %(name)s failed (%(error)s)") % {
            "name": task_name,
            "error": redact(f"{type(error).__name__}: {error}")[:300],
        }
    problem, _created = Problem.objects.get_or_create(
        key=f"task:{task_id}",
        defaults={"kind": ProblemKind.TASK_FAILED, "summary": summary[:500]},
    )
    return problem


def office_admin_emails() -> list[str]:
    """E-mail addresses of active superusers and of users allowed to see the status page."""
    permission = Permission.objects.filter(
        codename="view_system_status", content_type__app_label="alumni_cms"
    ).first()
    users = Q(is_superuser=True)
    if permission is not None:
        users |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    rows = (
        get_user_model()
        .objects.filter(users, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(set(rows))


def problems_notify(*, now=None) -> int:
    """Find new problems and mail every problem not mailed yet to the office admins, once.

    Returns how many problems the mail named (0: no mail). The problems are locked while the
    mail goes out (two runs at once: the second finds them taken) and marked mailed in the same
    transaction: a mail server that refuses raises, nothing is marked, the next run tries again.
    """
    problems_find(now=now)
    recipients = office_admin_emails()
    with transaction.atomic():
        pending = list(
            Problem.objects.select_for_update(skip_locked=True)
            .filter(mailed_at__isnull=True)
            .order_by("found_at", "pk")
        )
        if not pending:
            return 0
        if not recipients:
            logger.warning(
                "%d problems found, but no office admin has an e-mail address", len(pending)
            )
            return 0
        send_mail(*_problems_mail(pending), None, recipients)
        Problem.objects.filter(pk__in=[problem.pk for problem in pending]).update(
            mailed_at=timezone.now()
        )
    logger.info("Mailed %d problems to %d office admins", len(pending), len(recipients))
    return len(pending)


def _problems_mail(problems: list[Problem]) -> tuple[str, str]:
    site_url = settings.SITE_URL.rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[%(site)s] System status: %(count)d new problems") % {
            "site": settings.SITE_NAME or _("Alumni association"),
            "count": len(problems),
        }
        lines = [_("The system found these problems:"), ""]
        for problem in problems:
            lines.append(f"- {problem.summary}")
            if problem.url:
                lines.append(f"  {site_url}{problem.url}")
        lines += ["", _("System status: %(url)s") % {"url": site_url + reverse("system_status")}]
    return subject, "\n".join(lines)


def media_usage_measure() -> dict:
    """Size and file count of MEDIA_ROOT and its disk's use, stored in the cache for the
    status page (a walk of the folder is too slow for a page view)."""
    root = Path(settings.MEDIA_ROOT)
    size = files = 0
    if root.is_dir():
        for path in root.rglob("*"):
            try:
                if path.is_file():
                    size += path.stat().st_size
                    files += 1
            except OSError:
                continue
    usage = {"bytes": size, "files": files, "measured_at": time.time()}
    try:
        disk = shutil.disk_usage(root if root.is_dir() else root.parent)
        usage |= {"disk_total": disk.total, "disk_used": disk.used, "disk_free": disk.free}
    except OSError:
        pass
    cache.set(MEDIA_USAGE_KEY, usage, timeout=7 * 24 * 3600)
    return usage


def queue_length() -> int | None:
    """Messages waiting in the default Celery queue (Redis LLEN, RabbitMQ's message count, the
    filesystem broker's files: kombu's passive queue_declare), or None if the broker does not
    answer."""
    from kombu.exceptions import ChannelError

    from .celery import app

    queue = app.conf.task_default_queue
    timeout = settings.HEALTH_CHECK_TIMEOUT
    try:
        with app.connection_for_write(
            settings.CELERY_BROKER_URL, connect_timeout=timeout
        ) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            channel = connection.channel()
            try:
                return channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:
                return 0  # no such queue yet (Redis keeps no empty list): nothing waits
            except Exception as error:
                if getattr(error, "code", None) == 404:
                    return 0
                raise
    except Exception as error:
        logger.warning("Status: cannot read the queue length (%s)", type(error).__name__)
        return None


def _age(stamp: float | None) -> float | None:
    return None if stamp is None else max(0.0, time.time() - stamp)


def _moment(stamp: float | None):
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC)


def system_status() -> dict:
    """Everything the status page shows (see templates/admin/system_status.html)."""
    from wechat.gateway.token import AccessTokenCache

    now = timezone.now()
    interval = settings.HEARTBEAT_INTERVAL_SECONDS
    late = 3 * interval
    scheduler_stamp = heartbeat_last(source=SCHEDULER)
    beat_stamp = heartbeat_last(source=BEAT)
    scheduler_age, beat_age = _age(scheduler_stamp), _age(beat_stamp)
    workers = [
        {"name": name, "at": _moment(stamp), "ok": stamp is not None and _age(stamp) <= late}
        for name, stamp in sorted(workers_last().items())
    ]
    present, renew_at = AccessTokenCache(
        app_id=settings.WECHAT_APP_ID, fetch=lambda: ("", 0)
    ).state()
    last_follower_sync = FollowerSyncRun.objects.exclude(status=SyncStatus.RUNNING).first()
    running_follower_sync = FollowerSyncRun.objects.filter(status=SyncStatus.RUNNING).first()
    last_datacube = WeChatSyncedDay.objects.order_by("-synced_at").first()
    problems = []
    for finder in FINDERS:
        problems.extend(finder(now=now))
    overdue = {problem.kind for problem in problems}
    task_failures = list(
        Problem.objects.filter(kind=ProblemKind.TASK_FAILED, found_at__gte=now - LOOKBACK)[:20]
    )
    media = cache.get(MEDIA_USAGE_KEY)
    return {
        "checks": health_checks(),
        "scheduler_at": _moment(scheduler_stamp),
        "scheduler_ok": scheduler_age is not None and scheduler_age <= late,
        "beat_at": _moment(beat_stamp),
        "beat_ok": beat_age is not None and beat_age <= late,
        "workers": workers,
        "queue_length": queue_length(),
        "token_present": present,
        "token_renew_at": _moment(renew_at),
        "last_follower_sync": last_follower_sync,
        "running_follower_sync": running_follower_sync,
        "last_datacube": last_datacube,
        "follower_sync_overdue": ProblemKind.FOLLOWER_SYNC_OVERDUE in overdue,
        "datacube_overdue": ProblemKind.DATACUBE_SYNC_OVERDUE in overdue,
        "problems": problems,
        "task_failures": task_failures,
        "problem_count": len(problems) + len(task_failures),
        "media": media,
        "media_measured_at": _moment(media.get("measured_at")) if media else None,
        "media_disk_percent": (
            round(100 * media["disk_used"] / media["disk_total"])
            if media and media.get("disk_total")
            else None
        ),
        "late_seconds": late,
    }
