"""Read-side queries for the public activity pages."""

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from core.questions import QuestionSpec, display_text

from .models import Activity, Registration, RegistrationStatus
from .sheet import initial, pinyin_key

# Salt of the signed token in a registration's own link (see services.registration_token).
TOKEN_SALT = "activities.registration"
# Statuses that occupy one of the activity's places.
HOLDING_PLACE = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


def _upcoming(now: datetime) -> Q:
    """Not over yet: ends in the future, or (no end given) starts in the future."""
    return Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now)


def activities_public(*, now: datetime | None = None) -> QuerySet[Activity]:
    """Published activities, upcoming ones first (soonest first), then past ones (latest first).

    Each carries `places_taken` (registrations holding a place) and `is_over`, so a list of
    any length costs one query.
    """
    now = now or timezone.now()
    return (
        Activity.objects.published()
        .select_related("organiser_branch")
        .annotate(
            places_taken=Count("registrations", filter=Q(registrations__status__in=HOLDING_PLACE)),
            is_over=Case(
                When(_upcoming(now), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            ),
        )
        .order_by(
            "is_over",
            Case(When(is_over=False, then=F("starts_at"))).asc(),
            "-starts_at",
            "-pk",
        )
    )


def activities_upcoming(*, now: datetime | None = None) -> QuerySet[Activity]:
    """Published activities that are not over yet, soonest first."""
    return activities_public(now=now).filter(is_over=False)


def signup_closes_at(activity: Activity) -> datetime:
    """When sign-up ends: the deadline, or the start when the activity has no deadline."""
    return activity.signup_deadline or activity.starts_at


def places_taken(activity: Activity) -> int:
    """The annotated count when the activity came from `activities_public`, else a query."""
    taken = getattr(activity, "places_taken", None)
    if taken is None:
        taken = activity.registrations.filter(status__in=HOLDING_PLACE).count()
    return taken


@dataclass(frozen=True)
class SignupStatus:
    """What the public sees about taking part: one of the codes below and the places left."""

    OPEN = "open"  # places left, or no limit
    WAITLIST = "waitlist"  # full, new sign-ups go on the waitlist
    FULL = "full"  # full and no waitlist
    CLOSED = "closed"  # past the sign-up deadline
    CANCELLED = "cancelled"  # the organisers cancelled the activity
    OVER = "over"  # the activity has ended

    code: str
    places_left: int | None  # None: no limit

    @property
    def accepts_signups(self) -> bool:
        return self.code in (self.OPEN, self.WAITLIST)


def signup_status(activity: Activity, *, now: datetime | None = None) -> SignupStatus:
    """Whether `activity` takes sign-ups now, and how many places are left."""
    now = now or timezone.now()
    left = None
    if activity.capacity is not None:
        left = max(activity.capacity - places_taken(activity), 0)
    ends = activity.ends_at or activity.starts_at
    if activity.cancelled_at is not None:
        code = SignupStatus.CANCELLED
    elif ends < now:
        code = SignupStatus.OVER
    elif signup_closes_at(activity) < now:
        code = SignupStatus.CLOSED
    elif left == 0:
        code = SignupStatus.WAITLIST if activity.waitlist_enabled else SignupStatus.FULL
    else:
        code = SignupStatus.OPEN
    return SignupStatus(code=code, places_left=left)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None unless the registration is on the waitlist."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        activity_id=registration.activity_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(created_at__lt=registration.created_at)
        | Q(created_at=registration.created_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def registration_by_token(*, token: str) -> Registration:
    """The registration a link's signed token names. Raises Registration.DoesNotExist for a
    token that is forged, mangled or names a deleted registration."""
    try:
        pk = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise Registration.DoesNotExist from None
    return Registration.objects.select_related("activity").get(pk=pk)


def registrations_for_phone(*, phone: str) -> QuerySet[Registration]:
    """Every sign-up made with `phone` (cancelled ones too), the latest activity first, with
    its activity in the same query."""
    return (
        Registration.objects.filter(phone=phone)
        .select_related("activity")
        .order_by("-activity__starts_at", "-pk")
    )


def activity_questions(activity: Activity) -> list[QuestionSpec]:
    """The activity's own sign-up questions, in their order (one query)."""
    return [question.spec() for question in activity.questions.all()]


def with_attendance(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """`activities` with `att_registered` (holding a place: registered or checked in),
    `att_checked_in` and `att_waitlisted` counted in the same query."""
    return activities.annotate(
        att_registered=Count("registrations", filter=Q(registrations__status__in=HOLDING_PLACE)),
        att_checked_in=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.ATTENDED)
        ),
        att_waitlisted=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
        ),
    )


@dataclass(frozen=True)
class Attendance:
    """Who signed up and who came. `no_shows` counts only once the activity is over (before,
    those not yet checked in may still come); `not_yet` is the same number before that."""

    registered: int
    checked_in: int
    waitlisted: int
    over: bool

    @property
    def no_shows(self) -> int | None:
        return self.registered - self.checked_in if self.over else None

    @property
    def not_yet(self) -> int:
        return self.registered - self.checked_in

    @property
    def rate(self) -> int | None:
        """Checked in as a whole percentage of those holding a place."""
        return round(100 * self.checked_in / self.registered) if self.registered else None


def attendance(activity: Activity, *, now: datetime | None = None) -> Attendance:
    """The attendance figures of `activity`: the annotations of `with_attendance` when it came
    through it, else one query."""
    if getattr(activity, "att_registered", None) is None:
        activity = with_attendance(Activity.objects.filter(pk=activity.pk)).get()
    now = now or timezone.now()
    return Attendance(
        registered=activity.att_registered,
        checked_in=activity.att_checked_in,
        waitlisted=activity.att_waitlisted,
        over=(activity.ends_at or activity.starts_at) < now,
    )


def checkin_sheet(activity: Activity, *, order: str = "pinyin") -> dict[str, list[Registration]]:
    """The printed list: {"places": those holding a place, "waitlist": the waitlist}, by the
    pinyin of the family name ("pinyin", each carrying its `initial`) or by the name as
    written ("name")."""
    rows = list(
        Registration.objects.filter(
            activity=activity,
            status__in=(*HOLDING_PLACE, RegistrationStatus.WAITLISTED),
        )
    )
    if order == "name":
        rows.sort(key=lambda r: (r.name, r.pk))
    else:
        rows.sort(key=lambda r: (pinyin_key(r.name), r.pk))
    for row in rows:
        row.initial = initial(row.name)
    return {
        "places": [r for r in rows if r.status in HOLDING_PLACE],
        "waitlist": [r for r in rows if r.status == RegistrationStatus.WAITLISTED],
    }


def registration_answers(registration: Registration, questions=None) -> list[tuple[str, str]]:
    """(question, answer as text) for each of the activity's questions, in their order;
    `questions` (ActivityQuestion rows) saves the query when the caller has them."""
    if questions is None:
        questions = registration.activity.questions.all()
    answers = registration.answers or {}
    return [
        (question.label, display_text(question.spec(), answers.get(str(question.pk))))
        for question in questions
    ]
