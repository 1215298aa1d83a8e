"""Email to the people a transition concerns, written in the office's language (zh-hans).

Called by editorial.receivers after commit. A mail server that is down is logged, not raised:
the transition has already happened and other receivers (WeChat) must still run.
"""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.names import display_name
from core.text import one_line

from .models import EditorialItem, State

logger = logging.getLogger(__name__)


def _name(user) -> str:
    if user is None:
        return gettext("the scheduler")
    return display_name(user)


def _admin_url(item: EditorialItem) -> str:
    opts = item._meta
    try:
        path = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])
    except NoReverseMatch:
        return ""
    return settings.SITE_URL.rstrip("/") + path


def _facts(item: EditorialItem, by) -> dict:
    return {
        "type": item._meta.verbose_name,
        "title": item.title,
        "user": _name(by),
        "url": _admin_url(item),
    }


def _send(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except (smtplib.SMTPException, OSError) as exc:
        # Only the error's type: an SMTP error's text lists the refused addresses in full.
        logger.warning("editorial notification email could not be sent (%s)", type(exc).__name__)
        return 0


def _message(subject: str, lines: list[str], to: str) -> EmailMessage:
    # A title saved before titles were held to one line (or by code that skips the forms) must
    # not make the header invalid: EmailMessage raises BadHeaderError for a line break.
    return EmailMessage(
        subject=one_line(subject), body="\n".join(lines) + "\n", from_email=None, to=[to]
    )


def reviewers_to_notify(*, exclude=None):
    """Active users with the review permission and an email address, but not `exclude`."""
    # Permissions come from ModelBackend (django-axes's backend, first in the list, has none).
    users = get_user_model().objects.with_perm(
        "editorial.review_item", backend="django.contrib.auth.backends.ModelBackend"
    )
    users = users.exclude(email="")
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.order_by("pk")


def notify_submitted(*, item: EditorialItem, by) -> int:
    """Tell every reviewer (but the submitter) that `item` awaits review. Returns mails sent."""
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(item, by)
        subject = gettext("[Awaiting review] %(type)s: %(title)s") % facts
        lines = [gettext("%(user)s submitted the %(type)s “%(title)s” for review.") % facts]
        if facts["url"]:
            lines += ["", gettext("Review it here: %(url)s") % facts]
        messages = [
            _message(subject, lines, user.email) for user in reviewers_to_notify(exclude=by)
        ]
    return _send(messages)


def _author_address(item: EditorialItem, by) -> str:
    author = item.created_by
    if author is None or not author.email or not author.is_active:
        return ""
    if by is not None and author.pk == by.pk:
        return ""
    return author.email


def notify_approved(*, item: EditorialItem, by) -> int:
    """Tell the author that `item` was approved, and when it goes out. Returns mails sent."""
    to = _author_address(item, by)
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(item, by)
        subject = gettext("[Approved] %(type)s: %(title)s") % facts
        lines = [gettext("%(user)s approved your %(type)s “%(title)s”.") % facts]
        if item.state == State.SCHEDULED and item.publish_at:
            when = timezone.localtime(item.publish_at).strftime("%Y-%m-%d %H:%M")
            lines.append(gettext("It will be published at %(time)s.") % {"time": when})
        elif item.state == State.PUBLISHED:
            lines.append(gettext("It is now published."))
        if facts["url"]:
            lines += ["", facts["url"]]
        message = _message(subject, lines, to)
    return _send([message])


def notify_rejected(*, item: EditorialItem, by, reason: str) -> int:
    """Tell the author that `item` was sent back, with the reviewer's reason. Returns mails
    sent."""
    to = _author_address(item, by)
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        facts = _facts(item, by)
        subject = gettext("[Sent back] %(type)s: %(title)s") % facts
        lines = [
            gettext("%(user)s sent your %(type)s “%(title)s” back.") % facts,
            "",
            gettext("Reason: %(reason)s") % {"reason": reason},
            "",
            gettext("Please revise it and submit it again."),
        ]
        if facts["url"]:
            lines += [facts["url"]]
        message = _message(subject, lines, to)
    return _send([message])
