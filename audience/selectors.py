"""Read-only queries of the audience app: segment membership, follower numbers, classmates."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from activities.models import Registration, RegistrationStatus
from alumni.models import Alumnus
from donations.models import Gift
from surveys.models import Answer, Response

from .models import Follower, FollowerDailyCount, RecordLabel, Segment, Tristate

# "Took part in activities": signed up and did not cancel (attendance is not always marked).
PARTICIPATING = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


def _tristate(queryset: QuerySet, value: str, condition) -> QuerySet:
    if value == Tristate.YES:
        return queryset.filter(condition)
    if value == Tristate.NO:
        return queryset.filter(~condition)
    return queryset


def segment_alumni(segment: Segment) -> QuerySet[Alumnus]:
    """Records (not deleted, bound or not) that match the segment's filter."""
    alumni = Alumnus.objects.active()
    if segment.class_year_from is not None:
        alumni = alumni.filter(class_year__gte=segment.class_year_from)
    if segment.class_year_to is not None:
        alumni = alumni.filter(class_year__lte=segment.class_year_to)
    for field in ("college", "major", "city"):
        value = getattr(segment, field).strip()
        if value:
            alumni = alumni.filter(**{f"{field}__iexact": value})
    if segment.branch_id is not None:
        alumni = alumni.filter(branch_id=segment.branch_id)
    alumni = _tristate(
        alumni, segment.donor, Exists(Gift.objects.filter(donor_alumnus=OuterRef("pk")))
    )
    alumni = _tristate(
        alumni,
        segment.participant,
        Exists(Registration.objects.filter(alumnus=OuterRef("pk"), status__in=PARTICIPATING)),
    )
    if segment.label.strip():
        alumni = alumni.filter(
            Exists(RecordLabel.objects.filter(alumnus=OuterRef("pk"), name=segment.label.strip()))
        )
    if segment.survey_question_id is not None:
        alumni = alumni.filter(Exists(_answers_matching(segment).filter(alumnus=OuterRef("pk"))))
    return alumni


def _answers_matching(segment: Segment) -> QuerySet[Response]:
    """Responses (tied to a record) whose answer to the segment's question is its answer."""
    values = Answer.objects.filter(question_id=segment.survey_question_id)
    answer = segment.survey_answer.strip()
    if answer:
        values = values.filter(Q(choice=answer) | Q(text__iexact=answer))
    return Response.objects.filter(alumnus__isnull=False, pk__in=values.values("response_id"))


def segment_members(segment: Segment) -> QuerySet[Follower]:
    """The following followers bound to a record in the segment: who its WeChat tag reaches."""
    return Follower.objects.filter(
        subscribed=True, alumnus__in=segment_alumni(segment).values("pk")
    )


@dataclass(frozen=True)
class SegmentSize:
    records: int  # matching records
    bound: int  # of which bound to a follower
    reachable: int  # of which still following: who a push to the segment reaches


def segment_size(segment: Segment) -> SegmentSize:
    """How many the segment holds, before it is synced or used. Three COUNT queries."""
    alumni = segment_alumni(segment)
    return SegmentSize(
        records=alumni.count(),
        bound=alumni.filter(follower__isnull=False).count(),
        reachable=segment_members(segment).count(),
    )


@dataclass(frozen=True)
class DayCount:
    day: object
    total: int
    new: int
    unsubscribed: int

    @property
    def net(self) -> int:
        return self.new - self.unsubscribed


def follower_growth(*, days: int = 30, today=None) -> list[DayCount]:
    """Followers per day over the last `days` days, oldest first, for the dashboard.

    A day without a row carries the previous day's total with no new or lost followers.
    """
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = {r.day: r for r in FollowerDailyCount.objects.filter(day__gte=first, day__lte=today)}
    before = FollowerDailyCount.objects.filter(day__lt=first).order_by("-day").first()
    total = before.total if before else 0
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = rows.get(day)
        if row is not None:
            total = row.total
        series.append(
            DayCount(
                day=day,
                total=total,
                new=row.new if row else 0,
                unsubscribed=row.unsubscribed if row else 0,
            )
        )
    return series


@dataclass(frozen=True)
class FollowerTotals:
    following: int
    bound: int


def follower_totals() -> FollowerTotals:
    """Followers now, and how many of them are bound to an alumni record."""
    following = Follower.objects.filter(subscribed=True)
    return FollowerTotals(
        following=following.count(), bound=following.filter(alumnus__isnull=False).count()
    )


def classmates(alumnus: Alumnus) -> QuerySet[Alumnus]:
    """Records of the same class year and college whose owners chose to be visible to
    classmates (never the contact details: only what the template shows)."""
    return (
        Alumnus.objects.active()
        .filter(
            class_year=alumnus.class_year,
            college=alumnus.college,
            visible_to_classmates=True,
        )
        .exclude(pk=alumnus.pk)
        .order_by("name", "pk")
        .only("name", "major", "city", "employer", "class_year", "college")
    )
