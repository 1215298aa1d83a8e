"""Retention: what grows forever is deleted when it has outlived its setting (days).

`retention_run` (beat, nightly) runs every step below; each deletes in batches of
RETENTION_BATCH_SIZE rows (short transactions, no long lock on a busy table), logs its count
and is idempotent: a second run finds nothing left. A setting of 0 keeps those rows forever.

- WeChat callback events (`RETENTION_CALLBACK_EVENT_DAYS`): WeChat retries within seconds and
  a push's finish event is read within days; older rows only repeat what the push stored.
- The WeChat inbox (`RETENTION_INBOX_DAYS`): followers' messages and staff's answers, by when
  they reached us; a conversation whose every message went leaves the inbox with them. A tip
  made from a message is a draft of its own and stays.
- Follower sync runs (`RETENTION_FOLLOWER_SYNC_DAYS`): finished or failed ones; the latest
  finished run always stays (the status page shows it).
- Page-view batches already flushed (`RETENTION_STATS_BATCH_DAYS`): their tokens only guard a
  retried flush, which comes within minutes.
- Login records of django-axes (`RETENTION_LOGIN_LOG_DAYS`): attempts, failures and the access
  log, long past any lockout.
- Problems found by the status page (`RETENTION_ALERT_DAYS`), once mailed.
- Revisions beyond `RETENTION_REVISIONS_PER_ITEM` per item, keeping every revision the
  workflow still reads: the latest N; the one each approval or publication was made from (the
  latest saved before it); each one a restore names in the audit trail ("#id"); and, for each
  person, their newest revision since the item's last approval (the four-eyes rule looks for
  it: editorial.selectors.item_changed_since_approval).
- The WeChat emulator's inbox and callback log (`RETENTION_EMULATOR_LOG_DAYS`), only while
  WECHAT_EMULATOR is on, over its HTTP control path: production never imports the emulator.
"""

import json
import logging
import re
import urllib.request
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from audience.models import FollowerSyncRun, SyncStatus
from editorial.models import AuditEntry, Revision
from editorial.selectors import APPROVED_ACTION
from stats.models import FlushBatch
from wechat.models import CallbackEvent, InboxMessage

from .models import Problem, ProblemKind

logger = logging.getLogger(__name__)

PUBLISHED_ACTION = "editorial.item.published"
RESTORED_ACTION = "editorial.revision.restored"
_REVISION_REF = re.compile(r"#(\d+)")


def delete_in_batches(queryset: QuerySet, *, batch: int | None = None) -> int:
    """Delete the rows of `queryset` a batch at a time; how many rows of its model went."""
    batch = batch or settings.RETENTION_BATCH_SIZE
    model = queryset.model
    total = 0
    while True:
        pks = list(queryset.order_by().values_list("pk", flat=True)[:batch])
        if not pks:
            return total
        model.objects.filter(pk__in=pks).delete()
        total += len(pks)


def _cutoff(days: int):
    return timezone.now() - timedelta(days=days) if days > 0 else None


def callback_events_prune() -> int:
    cutoff = _cutoff(settings.RETENTION_CALLBACK_EVENT_DAYS)
    if cutoff is None:
        return 0
    return delete_in_batches(CallbackEvent.objects.filter(received_at__lt=cutoff))


def inbox_messages_prune() -> int:
    cutoff = _cutoff(settings.RETENTION_INBOX_DAYS)
    if cutoff is None:
        return 0
    return delete_in_batches(InboxMessage.objects.filter(received_at__lt=cutoff))


def follower_syncs_prune() -> int:
    cutoff = _cutoff(settings.RETENTION_FOLLOWER_SYNC_DAYS)
    if cutoff is None:
        return 0
    rows = FollowerSyncRun.objects.filter(
        status__in=[SyncStatus.FINISHED, SyncStatus.FAILED], started_at__lt=cutoff
    )
    latest = FollowerSyncRun.objects.filter(status=SyncStatus.FINISHED).order_by(
        "-started_at", "-pk"
    )[:1]
    return delete_in_batches(rows.exclude(pk__in=list(latest.values_list("pk", flat=True))))


def stats_batches_prune() -> int:
    cutoff = _cutoff(settings.RETENTION_STATS_BATCH_DAYS)
    if cutoff is None:
        return 0
    return delete_in_batches(FlushBatch.objects.filter(flushed_at__lt=cutoff))


def login_records_prune() -> int:
    cutoff = _cutoff(settings.RETENTION_LOGIN_LOG_DAYS)
    if cutoff is None:
        return 0
    # A lockout lasts AXES_COOLOFF_TIME: never delete a record that may still hold one.
    cutoff = min(cutoff, timezone.now() - settings.AXES_COOLOFF_TIME)
    return sum(
        delete_in_batches(model.objects.filter(attempt_time__lt=cutoff))
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )


def problems_prune() -> int:
    cutoff = _cutoff(settings.RETENTION_ALERT_DAYS)
    if cutoff is None:
        return 0
    return delete_in_batches(Problem.objects.filter(found_at__lt=cutoff, mailed_at__isnull=False))


def revisions_to_keep(*, content_type_id: int, object_id: int, keep_latest: int) -> set[int]:
    """Ids of the item's revisions that retention must not delete (see the module's doc)."""
    revisions = list(
        Revision.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_at", "created_by_id")
    )
    keep = {pk for pk, _at, _by in revisions[:keep_latest]}
    entries = list(
        AuditEntry.objects.filter(
            content_type_id=content_type_id,
            object_id=object_id,
            action__in=[APPROVED_ACTION, PUBLISHED_ACTION, RESTORED_ACTION],
        ).values_list("action", "created_at", "comment")
    )
    approvals = [at for action, at, _c in entries if action in (APPROVED_ACTION, PUBLISHED_ACTION)]
    for moment in approvals:
        # The content that was approved or published: the latest revision saved by then.
        for pk, at, _by in revisions:
            if at <= moment:
                keep.add(pk)
                break
    for action, _at, comment in entries:
        if action == RESTORED_ACTION:
            keep.update(int(number) for number in _REVISION_REF.findall(comment or ""))
    last_approval = max(
        (at for action, at, _c in entries if action == APPROVED_ACTION), default=None
    )
    people_seen = set()
    for pk, at, by in revisions:
        if last_approval is not None and at <= last_approval:
            break
        if by not in people_seen:
            people_seen.add(by)
            keep.add(pk)
    return keep


def revisions_prune() -> int:
    keep_latest = settings.RETENTION_REVISIONS_PER_ITEM
    if keep_latest <= 0:
        return 0
    items = (
        Revision.objects.values("content_type_id", "object_id")
        .annotate(count=Count("pk"))
        .filter(count__gt=keep_latest)
        .order_by()
    )
    total = 0
    for item in items.iterator():
        keep = revisions_to_keep(
            content_type_id=item["content_type_id"],
            object_id=item["object_id"],
            keep_latest=keep_latest,
        )
        total += delete_in_batches(
            Revision.objects.filter(
                content_type_id=item["content_type_id"], object_id=item["object_id"]
            ).exclude(pk__in=keep)
        )
    return total


def emulator_logs_prune() -> int:
    """Ask the running WeChat emulator to drop its inbox and callback log entries older than
    RETENTION_EMULATOR_LOG_DAYS (only while WECHAT_EMULATOR is on; over HTTP, so nothing here
    imports wechat_emulator)."""
    days = settings.RETENTION_EMULATOR_LOG_DAYS
    if not settings.WECHAT_EMULATOR or days <= 0:
        return 0
    url = (
        f"http://{settings.WECHAT_EMULATOR_HOST}:{settings.WECHAT_EMULATOR_PORT}"
        "/_emulator/logs/trim"
    )
    body = json.dumps({"older_than_seconds": days * 86400}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (our own)
            return int(json.loads(response.read() or b"{}").get("removed", 0))
    except (OSError, ValueError) as error:
        logger.info("Retention: the WeChat emulator did not answer (%s)", type(error).__name__)
        return 0


STEPS = {
    "callback_events": callback_events_prune,
    "inbox_messages": inbox_messages_prune,
    "follower_syncs": follower_syncs_prune,
    "stats_batches": stats_batches_prune,
    "login_records": login_records_prune,
    "problems": problems_prune,
    "revisions": revisions_prune,
    "emulator_logs": emulator_logs_prune,
}


def _failure_record(step: str, error: Exception) -> None:
    """A failed step is a problem for the status page and the office admins' mail, once a day."""
    from django.utils import translation
    from django.utils.translation import gettext

    from core.redaction import redact

    with translation.override(settings.LANGUAGE_CODE):
        summary = gettext("Retention step %(step)s failed (%(error)s)") % {
            "step": step,
            "error": redact(f"{type(error).__name__}: {error}")[:300],
        }
    Problem.objects.get_or_create(
        key=f"retention:{step}:{timezone.localdate().isoformat()}",
        defaults={"kind": ProblemKind.TASK_FAILED, "summary": summary[:500]},
    )


def retention_run() -> dict[str, int]:
    """Run every retention step; {step: rows deleted, -1 if it failed}. A step that fails is
    logged and recorded as a problem (status page, mail), and the others still run."""
    counts = {}
    for name, step in STEPS.items():
        try:
            counts[name] = step()
        except Exception as error:
            logger.exception("Retention step %s failed", name)
            counts[name] = -1
            _failure_record(name, error)
            continue
        logger.info("Retention: %s deleted=%d", name, counts[name])
    return counts
