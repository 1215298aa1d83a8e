"""Read-only views of pushes: the mass-send quota left, what a push's items would fail at."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from editorial.publishing import item_preflight

from .models import Push, PushItem, PushMode, PushState

# A send that happened, or will: it uses the quota of its day.
QUOTA_STATES = (
    PushState.APPROVED,
    PushState.UPLOADING,
    PushState.DRAFT_CREATED,
    PushState.SENT,
    PushState.FINISHED,
)
SUBSCRIPTION_SENDS_PER_DAY = 1  # CONTRACT.md §6.1, to all or to one tag
SERVICE_SENDS_PER_MONTH = 4  # each follower receives at most 4 mass messages a month


@dataclass(frozen=True)
class MassQuota:
    """How many mass sends are left: per day (subscription account) or per month for each
    follower (service account). `used` counts this site's sends, approved ones included; sends
    made on mp.weixin.qq.com count at WeChat too but are not known here."""

    account_type: str
    used: int
    limit: int
    period_start: date

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    def __str__(self) -> str:
        if self.account_type == "subscription":
            return gettext(
                "Subscription account: %(left)s of %(limit)s mass send left today "
                "(sends from mp.weixin.qq.com count too)."
            ) % {"left": self.left, "limit": self.limit}
        return gettext(
            "Service account: %(used)s sends to all followers this month; each follower "
            "receives at most %(limit)s mass messages a month."
        ) % {"used": self.used, "limit": self.limit}


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def mass_quota(*, now: datetime | None = None) -> MassQuota:
    """The mass-send quota of the configured account type (settings.WECHAT_ACCOUNT_TYPE)."""
    today = timezone.localdate(now or timezone.now())
    sends = Push.objects.filter(mode=PushMode.MASS, state__in=QUOTA_STATES)
    if settings.WECHAT_ACCOUNT_TYPE == "subscription":
        start = _start(today)
        used = sends.filter(send_at__gte=start, send_at__lt=start + timedelta(days=1)).count()
        return MassQuota("subscription", used, SUBSCRIPTION_SENDS_PER_DAY, today)
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    used = (
        sends.filter(send_at__gte=_start(first), send_at__lt=_start(following))
        .filter(Q(tag_id__isnull=True))
        .count()
    )
    return MassQuota("service", used, SERVICE_SENDS_PER_MONTH, first)


def push_item_problems(*, push: Push) -> list[tuple[PushItem, list[str]]]:
    """Each item of the push with what WeChat would refuse in it now (an empty list: nothing)."""
    result = []
    for push_item in push.items.select_related("content_type"):
        item = push_item.item
        problems = (
            item_preflight(item) if item is not None else [gettext("The item no longer exists.")]
        )
        result.append((push_item, problems))
    return result
