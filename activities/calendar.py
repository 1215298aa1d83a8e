"""An activity as an iCalendar file (RFC 5545, the icalendar library), to add to a calendar."""

from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Activity

ZONE = ZoneInfo("Asia/Shanghai")
# An activity without an end is put in the calendar for this long.
DEFAULT_LENGTH = timedelta(hours=2)


def activity_uid(activity: Activity) -> str:
    """The event's UID: the same for every download, so a calendar updates the event it has
    instead of adding a second one."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"activity-{activity.pk}@{host}"


def activity_ics(activity: Activity, *, url: str = "") -> bytes:
    """The activity as a calendar with one event in Asia/Shanghai time (its VTIMEZONE
    included); a cancelled activity's event says STATUS:CANCELLED."""
    starts = (activity.announced_starts_at or activity.starts_at).astimezone(ZONE)
    ends = activity.ends_at.astimezone(ZONE) if activity.ends_at else starts + DEFAULT_LENGTH
    if ends <= starts:
        ends = starts + DEFAULT_LENGTH
    calendar = Calendar()
    calendar.add("prodid", "-//alumni-cms//activities//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", activity_uid(activity))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", activity.title)
    event.add("location", activity.announced_place or activity.place)
    description = "\n\n".join(part for part in (activity.digest, url) if part)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    event.add("last-modified", activity.updated_at)
    # SEQUENCE must grow with each change a calendar should take over: the minutes from the
    # activity's creation to its last change do, without a counter to keep.
    event.add(
        "sequence", max(0, int((activity.updated_at - activity.created_at).total_seconds() // 60))
    )
    event.add("status", "CANCELLED" if activity.cancelled_at else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
