"""How a notification leaves: by e-mail (Django's mail settings) or as a WeChat template
message (through the gateway). Each sender answers WeChat's msgid ("" for e-mail) or raises
Retry (try again later) or Final (give up, with the reason stored)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from wechat.errors import RetryableError, WeChatError
from wechat.gateway import WeChatGateway

from .messages import Message
from .models import Channel, Notification


class Retry(Exception):
    """The channel may take the message later (mail server down, WeChat busy)."""


class Final(Exception):
    """The channel refused the message for good (a bad address, not a follower)."""


def send_email(notification: Notification, message: Message) -> str:
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    mail.attach_alternative(message.html, "text/html")
    try:
        mail.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise Final(f"{type(exc).__name__}: the mail server refused the address") from exc
    except (smtplib.SMTPException, OSError) as exc:
        # The server is down, busy or unreachable: the address may be fine.
        raise Retry(f"{type(exc).__name__}: {exc}") from exc
    return ""


def send_wechat(notification: Notification, message: Message) -> str:
    template_id = settings.WECHAT_TEMPLATE_SIGNUP
    if not template_id:
        raise Final("WECHAT_TEMPLATE_SIGNUP is empty")
    try:
        return WeChatGateway().template_send(
            openid=notification.recipient,
            template_id=template_id,
            data=message.fields,
            url=message.url,
            # WeChat drops a repeat with the same id: a retry after a lost answer is one message.
            client_msg_id=f"cms-notification-{notification.pk}",
        )
    except RetryableError as exc:
        raise Retry(f"{exc.errcode}: {exc.errmsg}") from exc
    except WeChatError as exc:
        raise Final(f"{exc.errcode}: {exc.errmsg}") from exc


SENDERS = {Channel.EMAIL: send_email, Channel.WECHAT: send_wechat}
