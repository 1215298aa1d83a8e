"""Read-side queries for the public activity pages."""

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from .models import Activity, Registration, RegistrationStatus

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
    if ends < now:
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
