"""What sign-ups are told after they signed up: a change of time or place, the cancellation of
the whole activity, and reminders a day and an hour before.

Each sends a signal from activities.signals inside the transaction that records it (the
announced time and place, the cancellation, the reminder's mark on the activity), so a listener
that creates its messages there (notifications) creates them exactly when this is recorded:
never lost to a crash in between, never twice (the notifications' unique key holds too).
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import one_line
from editorial.actors import is_person

from .errors import ActivityError
from .models import Activity, Registration, RegistrationStatus
from .signals import activity_cancelled, activity_changed, followup_requested, reminder_due

logger = logging.getLogger(__name__)

# Sign-ups that are told about a change or a cancellation.
TOLD = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)
# How long before the start each reminder goes (only to sign-ups holding a place).
REMINDERS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
REMINDER_BATCH = 50


def _told_ids(activity_id: int, statuses=TOLD) -> list[int]:
    return list(
        Registration.objects.filter(activity_id=activity_id, status__in=statuses)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def change_version(starts_at: datetime, place: str) -> str:
    """A short name of one announced time and place, so each change is told once."""
    digest = hashlib.sha256(f"{starts_at.isoformat()}|{place}".encode()).hexdigest()[:10]
    return f"{int(starts_at.timestamp())}-{digest}"


def activity_announce(*, activity_id: int) -> bool:
    """Record the time and place of a just-published activity as what its sign-ups were told.

    The first publication only records them. A later one with another start or place sends
    `activity_changed` to the registered and waitlisted sign-ups and returns True.
    """
    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
        if activity is None:
            return False
        first = activity.announced_starts_at is None
        same = (
            activity.announced_starts_at == activity.starts_at
            and activity.announced_place == activity.place
        )
        if same:
            return False
        # update(), not save(): an editor's form open meanwhile keeps its own fields.
        Activity.objects.filter(pk=activity.pk).update(
            announced_starts_at=activity.starts_at, announced_place=activity.place
        )
        if first:
            return False
        activity_changed.send(
            sender=Activity,
            activity_id=activity.pk,
            registration_ids=_told_ids(activity.pk),
            version=change_version(activity.starts_at, activity.place),
        )
        logger.info("Activity %s: new time or place announced to its sign-ups", activity.pk)
        return True


def activity_cancel(*, activity: Activity, by, reason: str = "") -> Activity:
    """Cancel the whole activity: no more sign-ups or check-ins, its page says so, and every
    registered and waitlisted sign-up is told (`activity_cancelled`). Raises ActivityError
    without the permission to change activities, when it is already cancelled or when it is
    over."""
    if not (is_person(by) and by.has_perm("activities.change_activity")):
        raise ActivityError(_("You may not cancel activities."), code="permission")
    reason = one_line(reason or "")[:200]
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.cancelled_at is not None:
            raise ActivityError(_("This activity is already cancelled."), code="cancelled")
        if (activity.ends_at or activity.starts_at) < timezone.now():
            raise ActivityError(_("This activity is over: it cannot be cancelled."), code="over")
        now = timezone.now()
        Activity.objects.filter(pk=activity.pk).update(cancelled_at=now, cancel_reason=reason)
        activity.cancelled_at, activity.cancel_reason = now, reason
        activity_cancelled.send(
            sender=Activity, activity_id=activity.pk, registration_ids=_told_ids(activity.pk)
        )
    logger.info("Activity %s cancelled by user %s", activity.pk, by.pk)
    return activity


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send the reminders that are due (run by beat every minute); return how many activities
    were reminded.

    The day reminder goes from 24 hours before the announced start, the hour reminder from one
    hour before, each once per announced start (a new time gets new reminders), to the sign-ups
    holding a place that were made before that moment (later ones just had their
    confirmation). A day reminder that comes due less than an hour before the start (the
    scheduler was down) is skipped for the hour one. Activities are taken with
    select_for_update(skip_locked=True): two schedulers at once remind each activity once.
    """
    now = now or timezone.now()
    reminded = 0
    for when, before in REMINDERS.items():
        mark = f"reminded_{when}_for"
        not_yet = (
            Q(**{f"{mark}__isnull": True})
            | Q(**{f"{mark}__lt": F("announced_starts_at")})
            | Q(**{f"{mark}__gt": F("announced_starts_at")})
        )
        with transaction.atomic():
            due = list(
                Activity.objects.select_for_update(skip_locked=True)
                .filter(
                    not_yet,
                    cancelled_at__isnull=True,
                    announced_starts_at__gt=now,
                    announced_starts_at__lte=now + before,
                )
                .order_by("announced_starts_at", "pk")
                .only("pk", "announced_starts_at")[:REMINDER_BATCH]
            )
            for activity in due:
                starts = activity.announced_starts_at
                if when == "day" and starts - now < REMINDERS["hour"]:
                    ids = []
                else:
                    ids = list(
                        Registration.objects.filter(
                            activity_id=activity.pk,
                            status=RegistrationStatus.REGISTERED,
                            created_at__lte=starts - before,
                        )
                        .order_by("pk")
                        .values_list("pk", flat=True)
                    )
                if ids:
                    reminder_due.send(
                        sender=Activity,
                        activity_id=activity.pk,
                        registration_ids=ids,
                        when=when,
                        starts_at=starts,
                    )
                Activity.objects.filter(pk=activity.pk).update(**{mark: starts})
                reminded += 1
    return reminded


def followup_surveys():
    """The published surveys a follow-up can send, newest first; None when the surveys app is
    not installed (activities does not import it: a deployment may leave it out)."""
    if not apps.is_installed("surveys"):
        return None
    return apps.get_model("surveys", "Survey").objects.published().order_by("-published_at", "-pk")


def activity_followup_send(*, activity: Activity, survey_id: int, by) -> int:
    """Send the published survey `survey_id` to everyone who checked in at `activity`
    (`followup_requested`, inside the transaction; notifications sends its link by e-mail and
    WeChat, once per person and survey, so sending again reaches only those checked in since).
    Returns how many people it concerns. Raises ActivityError without the right to change
    activities, for a survey that is not published, or when nobody has checked in."""
    if not (is_person(by) and by.has_perm("activities.change_activity")):
        raise ActivityError(_("You may not send follow-up surveys."), code="permission")
    surveys = followup_surveys()
    if surveys is None or not surveys.filter(pk=survey_id).exists():
        raise ActivityError(_("Choose a published survey."), code="survey")
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        came = _told_ids(activity.pk, statuses=(RegistrationStatus.ATTENDED,))
        if not came:
            raise ActivityError(_("Nobody has checked in at this activity yet."), code="nobody")
        followup_requested.send(
            sender=Activity, activity_id=activity.pk, registration_ids=came, survey_id=survey_id
        )
        Activity.objects.filter(pk=activity.pk).update(
            followup_survey_id=survey_id, followup_sent_at=timezone.now()
        )
    logger.info("Activity %s: survey %s sent to %d who came", activity.pk, survey_id, len(came))
    return len(came)
