"""How a notification leaves: by e-mail (Django's mail settings) or as a WeChat template
message (through the gateway). Each sender answers WeChat's msgid ("" for e-mail) or raises
Retry (try again later) or Final (give up, with the reason stored)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F

from wechat.errors import RetryableError, WeChatError
from wechat.gateway import WeChatGateway

from .messages import Message
from .models import Channel, Notification, SubscriptionOptIn


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
    template_id = message.template_id or settings.WECHAT_TEMPLATE_SIGNUP
    if not template_id:
        raise Final("no WeChat template for this notification")
    if settings.WECHAT_ACCOUNT_TYPE != "service":
        return send_subscription(notification, message, template_id)
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


def send_subscription(notification: Notification, message: Message, template_id: str) -> str:
    """A subscription notification (订阅通知, CONTRACT.md §16), for accounts without template
    messages: one of the follower's opt-ins to `template_id` is used up first (none left:
    Final). bizsend has no de-duplication id, so a call whose outcome is unknown (no answer)
    is not repeated: never twice beats once more. WeChat's refusal to act (busy, -1) gives the
    opt-in back and retries."""
    used = SubscriptionOptIn.objects.filter(
        openid=notification.recipient, template_id=template_id, remaining__gt=0
    ).update(remaining=F("remaining") - 1)
    if not used:
        raise Final("the follower has no opt-in left for this template")
    # The template's keywords are thing1…thing4 where the template message has keyword1…4.
    data = {key.replace("keyword", "thing"): value for key, value in message.fields.items()}
    try:
        WeChatGateway().subscribe_send(
            openid=notification.recipient, template_id=template_id, data=data, page=message.url
        )
    except RetryableError as exc:
        if exc.errcode is None:
            raise Final(f"no answer from WeChat ({exc.errmsg}); not sent again") from exc
        SubscriptionOptIn.objects.filter(
            openid=notification.recipient, template_id=template_id
        ).update(remaining=F("remaining") + 1)
        raise Retry(f"{exc.errcode}: {exc.errmsg}") from exc
    except WeChatError as exc:
        raise Final(f"{exc.errcode}: {exc.errmsg}") from exc
    return ""


SENDERS = {Channel.EMAIL: send_email, Channel.WECHAT: send_wechat}
