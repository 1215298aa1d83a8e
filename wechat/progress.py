"""A push's progress as the push page shows it live: the steps, each item's uploads, WeChat's
figures and the last events.

The images of a push are uploaded in one go before any item is saved (`services.render`), so
each item's count of uploaded images lives in the cache while the upload runs, not in the
database: the progress page polls every few seconds and reads it with one cache lookup. Losing
it costs nothing but the figure (an item then shows "uploading" until it is saved).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Push, PushEvent, PushEventKind, PushItem, PushMode, PushState
from .services.workflow import ACTIVE_STATES, FINAL_STATES
from .urlcheck import is_wechat_url

# Long enough to outlive any upload run (a run renews its lease at every batch of uploads).
UPLOAD_PROGRESS_SECONDS = 6 * 3600
LAST_EVENTS = 5
# How often the page asks: every 2 s while something happens, every 30 s while a push waits for
# its send time more than a minute away.
POLL_SECONDS, IDLE_POLL_SECONDS = 2, 30

# The steps a push goes through, in order, with the states it is in while at each step.
STEPS = (
    ("approved", _("Approved"), (PushState.APPROVED,)),
    ("upload", _("Uploading images"), (PushState.UPLOADING,)),
    ("draft", _("Draft created"), (PushState.DRAFT_CREATED,)),
    ("sent", _("Sent to WeChat"), (PushState.SENT,)),
    ("finished", _("Finished"), (PushState.FINISHED,)),
)
_STEP_OF_STATE = {state: n for n, (_name, _label, states) in enumerate(STEPS) for state in states}


def _key(push_id: int) -> str:
    return f"wechat:push-upload:{push_id}"


def upload_progress_record(push_id: int, counts: list[tuple[int, int]]) -> None:
    """Remember (uploaded, needed) images for each item of the push, in the items' order."""
    cache.set(_key(push_id), [list(pair) for pair in counts], UPLOAD_PROGRESS_SECONDS)


def upload_progress(push_id: int) -> list[tuple[int, int]]:
    """(uploaded, needed) images for each item of a push being uploaded; [] when not known."""
    return [tuple(pair) for pair in cache.get(_key(push_id)) or []]


def upload_progress_recorder(push_id: int):
    """The `progress` callback the upload step hands to `render`."""
    return lambda counts: upload_progress_record(push_id, counts)


@dataclass
class ItemProgress:
    position: int
    title: str
    status: str
    done: int = 0
    needed: int = 0
    article_url: str = ""
    url_is_link: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.needed) if self.needed else 100


@dataclass
class Step:
    name: str
    label: str
    status: str  # "done", "current", "todo" or "failed"


@dataclass
class Figure:
    label: str
    value: object


@dataclass
class PushProgress:
    push: Push
    final: bool
    steps: list[Step]
    items: list[ItemProgress]
    figures: list[Figure]
    events: list[PushEvent] = field(default_factory=list)
    poll_seconds: int = POLL_SECONDS
    retry_at: datetime | None = None  # when a run stopped by a WeChat error tries again


def _steps(push: Push) -> list[Step]:
    if push.state in (PushState.DRAFT, PushState.CANCELLED):
        return []
    if push.state == PushState.FAILED:
        # The last step it reached is the one that failed; the events say which.
        reached = _reached_step(push)
        return [
            Step(name, str(label), "done" if n < reached else "failed" if n == reached else "todo")
            for n, (name, label, _states) in enumerate(STEPS)
        ]
    current = _STEP_OF_STATE[push.state]
    return [
        Step(
            name,
            str(label),
            "done"
            if n < current or push.state == PushState.FINISHED
            else "current"
            if n == current
            else "todo",
        )
        for n, (name, label, _states) in enumerate(STEPS)
    ]


def _reached_step(push: Push) -> int:
    if push.sent_at:
        return _STEP_OF_STATE[PushState.SENT]
    if push.draft_media_id:
        return _STEP_OF_STATE[PushState.DRAFT_CREATED]
    return _STEP_OF_STATE[PushState.UPLOADING]


def _item_progress(push: Push, item: PushItem, counts: tuple[int, int] | None) -> ItemProgress:
    progress = ItemProgress(position=item.position, title=item.title, status="")
    if item.article_url:
        progress.article_url = item.article_url
        # Stored before callbacks were checked (wechat.urlcheck): shown, never a link.
        progress.url_is_link = is_wechat_url(item.article_url)
    if item.rendered:
        progress.status = str(_("Images uploaded"))
    elif push.state == PushState.UPLOADING and counts is not None:
        progress.done, progress.needed = counts
        progress.status = str(_("Uploading images"))
    elif push.state == PushState.UPLOADING:
        progress.status = str(_("Waiting to upload"))
    else:
        progress.status = str(_("Not uploaded"))
    return progress


def _figures(push: Push) -> list[Figure]:
    if push.mode == PushMode.MASS:
        pairs = [
            (_("followers targeted"), push.total_count),
            (_("after filtering"), push.filter_count),
            (_("delivered"), push.sent_count),
            (_("errors"), push.error_count),
        ]
    else:
        pairs = []
    return [Figure(str(label), value) for label, value in pairs if value is not None]


def push_progress(push: Push) -> PushProgress:
    """The push's progress now (two queries: its items and its last events; one cache read
    while it uploads)."""
    items = list(push.items.all())
    counts = upload_progress(push.pk) if push.state == PushState.UPLOADING else []
    by_index = dict(enumerate(counts))
    events = list(push.events.select_related("user").order_by("-created_at", "-pk")[:LAST_EVENTS])
    return PushProgress(
        push=push,
        final=push.state in FINAL_STATES,
        steps=_steps(push),
        items=[_item_progress(push, item, by_index.get(n)) for n, item in enumerate(items)],
        figures=_figures(push),
        events=events,
        poll_seconds=_poll_seconds(push),
        retry_at=_retry_at(push, events),
    )


def _retry_at(push: Push, events: list[PushEvent]) -> datetime | None:
    if push.state not in ACTIVE_STATES or not events or events[0].kind != PushEventKind.RETRY:
        return None
    return events[0].created_at + timedelta(seconds=(events[0].data or {}).get("countdown", 0))


def _poll_seconds(push: Push) -> int:
    waiting = push.state == PushState.APPROVED and push.send_at
    if waiting and push.send_at > timezone.now() + timedelta(minutes=1):
        return IDLE_POLL_SECONDS
    return POLL_SECONDS
