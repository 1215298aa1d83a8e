"""What a notification says: built from the registration when it is sent, in the site's
language (zh-hans), with the absolute link to the registration's own page."""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import linebreaks
from django.utils.translation import gettext, gettext_lazy, override

from activities.models import Registration, RegistrationStatus
from activities.selectors import waitlist_position
from activities.services import registration_token
from core.names import display_name

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
    # The WeChat template it goes out with; "" for the sign-up's (WECHAT_TEMPLATE_SIGNUP).
    template_id: str = ""


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
    if kind == Kind.ACTIVITY_CANCELLED:
        return gettext("The activity is cancelled")
    if kind == Kind.CHANGED:
        return gettext("New time or place")
    if kind == Kind.FOLLOWUP_SURVEY:
        return gettext("Please tell us what you thought")
    if kind == Kind.REMINDER_DAY:
        return gettext("Starts tomorrow")
    if kind == Kind.REMINDER_HOUR:
        return gettext("Starts in an hour")
    if registration.status == RegistrationStatus.WAITLISTED:
        return gettext("On the waitlist, number %(position)d") % {
            "position": waitlist_position(registration) or 1
        }
    return registration.get_status_display()


def _lead(kind: str, activity) -> str:
    if kind == Kind.CANCELLED:
        return gettext("Your sign-up has been cancelled.")
    if kind == Kind.PROMOTED:
        return gettext("A place became free and is now yours.")
    if kind == Kind.ACTIVITY_CANCELLED:
        lead = gettext("We are sorry: the organisers have cancelled this activity.")
        if activity.cancel_reason:
            lead += " " + gettext("Reason: %(reason)s") % {"reason": activity.cancel_reason}
        return lead
    if kind == Kind.CHANGED:
        return gettext("The time or place of the activity has changed. Here are the new details.")
    if kind == Kind.FOLLOWUP_SURVEY:
        return gettext(
            "Thank you for coming. Please tell us what you thought in a short survey: the link "
            "below opens it."
        )
    if kind in (Kind.REMINDER_DAY, Kind.REMINDER_HOUR):
        return gettext(
            "A reminder of the activity you signed up for. Show the ticket on your sign-up's "
            "page at the door."
        )
    return gettext("Thank you for signing up. Here are the details of your sign-up.")


SUBJECTS = {
    Kind.CANCELLED: gettext_lazy("Sign-up cancelled: %(title)s"),
    Kind.PROMOTED: gettext_lazy("You have a place: %(title)s"),
    Kind.ACTIVITY_CANCELLED: gettext_lazy("Activity cancelled: %(title)s"),
    Kind.CHANGED: gettext_lazy("New time or place: %(title)s"),
    Kind.REMINDER_DAY: gettext_lazy("Tomorrow: %(title)s"),
    Kind.REMINDER_HOUR: gettext_lazy("In an hour: %(title)s"),
    Kind.FOLLOWUP_SURVEY: gettext_lazy("How was it? %(title)s"),
}


def _subject(kind: str, title: str) -> str:
    text = SUBJECTS.get(kind, gettext_lazy("Sign-up received: %(title)s"))
    return f"【{site_name()}】" + str(text) % {"title": title}


def survey_url(survey_id: str) -> str:
    """The absolute link of a published survey (a follow-up's), "" when it is gone or off."""
    if not (survey_id.isdigit() and apps.is_installed("surveys")):
        return ""
    survey = apps.get_model("surveys", "Survey").objects.published().filter(pk=survey_id).first()
    return settings.SITE_URL.rstrip("/") + survey.get_absolute_url() if survey else ""


def registration_message(registration: Registration, kind: str, *, event: str = "") -> Message:
    """The words of a `kind` notification about `registration`, in LANGUAGE_CODE (`event`:
    what registration_notify was given, e.g. a follow-up's survey id)."""
    with override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        activity = registration.activity
        # What the sign-ups were told (the published time and place), not an unpublished edit.
        starts = timezone.localtime(activity.announced_starts_at or activity.starts_at)
        place = activity.announced_place or activity.place
        when = date_format(starts, "Y-m-d H:i")
        status = _status(registration, kind)
        url = registration_url(registration)
        if kind == Kind.FOLLOWUP_SURVEY:
            url = survey_url(event) or url
        context = {
            "site_name": site_name(),
            "name": registration.name,
            "lead": _lead(kind, activity),
            "title": activity.title,
            "when": when,
            "place": place,
            "status": status,
            "url": url,
            "cancelled": kind in (Kind.CANCELLED, Kind.ACTIVITY_CANCELLED),
            "link_label": gettext("The survey:") if kind == Kind.FOLLOWUP_SURVEY else "",
        }
        return Message(
            subject=_subject(kind, activity.title),
            text=render_to_string("notifications/registration_email.txt", context),
            html=render_to_string("notifications/registration_email.html", context),
            # The keywords of the sign-up template (README: WECHAT_TEMPLATE_SIGNUP).
            fields={
                "keyword1": activity.title,
                "keyword2": when,
                "keyword3": place,
                "keyword4": status,
            },
            url=url,
        )


PUSH_SUBJECTS = {
    Kind.PUSH_APPROVED: gettext_lazy("Push approved: %(title)s"),
    Kind.PUSH_SENT: gettext_lazy("Push sent: %(title)s"),
    Kind.PUSH_FAILED: gettext_lazy("Push failed: %(title)s"),
}
PUSH_STATES = {
    Kind.PUSH_APPROVED: gettext_lazy("Approved"),
    Kind.PUSH_SENT: gettext_lazy("Sent"),
    Kind.PUSH_FAILED: gettext_lazy("Failed"),
}


def _push_detail(push, kind: str) -> str:
    if kind == Kind.PUSH_APPROVED:
        approver = display_name(push.approved_by) if push.approved_by_id else ""
        when = push.send_at or push.approved_at or timezone.now()
        return gettext("Approved by %(name)s; goes out at %(when)s.") % {
            "name": approver or gettext("a reviewer"),
            "when": date_format(timezone.localtime(when), "Y-m-d H:i"),
        }
    if kind == Kind.PUSH_FAILED:
        return gettext("Failure reason: %(reason)s") % {"reason": push.failure_reason or "—"}
    if push.sent_count is not None:
        return gettext("%(sent)s followers reached.") % {"sent": push.sent_count}
    return gettext("WeChat has published it.")


def push_message(push, kind: str) -> Message:
    """What a push's author is told when it is approved, sent or failed (`kind`), with the
    link to the push's page in the admin."""
    with override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        title = str(push)
        state = str(PUSH_STATES[kind])
        detail = _push_detail(push, kind)
        url = settings.SITE_URL.rstrip("/") + reverse("admin:wechat_push_change", args=[push.pk])
        when = date_format(timezone.localtime(timezone.now()), "Y-m-d H:i")
        subject = f"【{site_name()}】" + str(PUSH_SUBJECTS[kind]) % {"title": title}
        text = "\n\n".join(
            [
                gettext("Your WeChat push “%(title)s”: %(state)s.")
                % {"title": title, "state": state},
                detail,
                url,
            ]
        )
        return Message(
            subject=subject,
            text=text + "\n",
            html=linebreaks(text, autoescape=True),
            fields={"keyword1": title, "keyword2": state, "keyword3": when, "keyword4": detail},
            url=url,
            template_id=settings.WECHAT_TEMPLATE_PUSH,
        )


def gift_message(order) -> Message:
    """The thank-you for a paid online order (payments.OnlineOrder): the project, the amount
    unless the donor chose to leave it out, the date and the link to the thank-you page (where
    the certificate is)."""
    from core.money import yuan

    with override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        title = order.project.title
        amount = yuan(order.amount) if order.show_amount else gettext("Not shown")
        day = date_format(timezone.localtime(order.paid_at or timezone.now()), "Y-m-d")
        name = (
            gettext("Anonymous donor")
            if order.anonymous or not order.donor_name
            else order.donor_name
        )
        url = settings.SITE_URL.rstrip("/") + reverse(
            "payments:thanks", kwargs={"out_trade_no": order.out_trade_no}
        )
        lines = [
            gettext("Dear %(name)s,") % {"name": name},
            gettext("Thank you for your gift to “%(title)s”.") % {"title": title},
        ]
        if order.show_amount:
            lines.append(gettext("Amount: %(amount)s") % {"amount": amount})
        lines += [
            gettext("Date: %(day)s") % {"day": day},
            gettext("Your thank-you page and certificate: %(url)s") % {"url": url},
        ]
        text = "\n\n".join(lines)
        return Message(
            subject=f"【{site_name()}】"
            + gettext("Thank you for your gift: %(title)s") % {"title": title},
            text=text + "\n",
            html=linebreaks(text, autoescape=True),
            fields={"keyword1": title, "keyword2": amount, "keyword3": day, "keyword4": name},
            url=url,
            template_id=settings.WECHAT_TEMPLATE_GIFT,
        )
