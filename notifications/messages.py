"""What a notification says: built from the registration when it is sent, in the site's
language (zh-hans), with the absolute link to the registration's own page."""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, override

from activities.models import Registration, RegistrationStatus
from activities.selectors import waitlist_position
from activities.services import registration_token

from .models import Kind


@dataclass(frozen=True)
class Message:
    """One notification's words for every channel: `subject`, `text` and `html` for e-mail,
    `fields` (the template message's keywords) and `url` for WeChat."""

    subject: str
    text: str
    html: str
    fields: dict[str, str]
    url: str


def site_name() -> str:
    return settings.SITE_NAME or gettext("Alumni Association")


def registration_url(registration: Registration) -> str:
    """The registration's page as an absolute link (SITE_URL), for messages."""
    path = reverse("activities:registration", args=[registration_token(registration=registration)])
    return settings.SITE_URL.rstrip("/") + path


def _status(registration: Registration, kind: str) -> str:
    if kind == Kind.CANCELLED:
        return gettext("Cancelled")
    if kind == Kind.PROMOTED:
        return gettext("You have a place (moved up from the waitlist)")
    if registration.status == RegistrationStatus.WAITLISTED:
        return gettext("On the waitlist, number %(position)d") % {
            "position": waitlist_position(registration) or 1
        }
    return registration.get_status_display()


def _lead(kind: str) -> str:
    if kind == Kind.CANCELLED:
        return gettext("Your sign-up has been cancelled.")
    if kind == Kind.PROMOTED:
        return gettext("A place became free and is now yours.")
    return gettext("Thank you for signing up. Here are the details of your sign-up.")


def _subject(kind: str, title: str) -> str:
    if kind == Kind.CANCELLED:
        text = gettext("Sign-up cancelled: %(title)s")
    elif kind == Kind.PROMOTED:
        text = gettext("You have a place: %(title)s")
    else:
        text = gettext("Sign-up received: %(title)s")
    return f"【{site_name()}】" + text % {"title": title}


def registration_message(registration: Registration, kind: str) -> Message:
    """The words of a `kind` notification about `registration`, in LANGUAGE_CODE."""
    with override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        activity = registration.activity
        starts = timezone.localtime(activity.starts_at)
        when = date_format(starts, "Y-m-d H:i")
        status = _status(registration, kind)
        url = registration_url(registration)
        context = {
            "site_name": site_name(),
            "name": registration.name,
            "lead": _lead(kind),
            "title": activity.title,
            "when": when,
            "place": activity.place,
            "status": status,
            "url": url,
            "cancelled": kind == Kind.CANCELLED,
        }
        return Message(
            subject=_subject(kind, activity.title),
            text=render_to_string("notifications/registration_email.txt", context),
            html=render_to_string("notifications/registration_email.html", context),
            # The keywords of the sign-up template (README: WECHAT_TEMPLATE_SIGNUP).
            fields={
                "keyword1": activity.title,
                "keyword2": when,
                "keyword3": activity.place,
                "keyword4": status,
            },
            url=url,
        )
