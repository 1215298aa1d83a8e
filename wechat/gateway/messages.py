"""Template messages (模板消息, CONTRACT.md §16): one notification to one follower."""

from .. import errors

# Keyword values WeChat shows are short since 2023 (20 characters for `thing` values, per
# CONTRACT.md §16, unconfirmed); longer ones are cut here rather than refused there.
TEMPLATE_VALUE_MAX_CHARS = 20
# WeChat's de-duplication id of a template message (same openid + id: one message).
TEMPLATE_CLIENT_MSG_ID_MAX_BYTES = 64


class MessagesAPI:
    """The gateway's message calls (mixed into WeChatGateway)."""

    def template_send(
        self,
        *,
        openid: str,
        template_id: str,
        data: dict[str, str],
        url: str = "",
        client_msg_id: str = "",
    ) -> str:
        """Send the template message `template_id` to the follower `openid`; return its msgid.

        `data` maps the template's keywords to their values (each cut to
        TEMPLATE_VALUE_MAX_CHARS characters); `url` opens when the follower taps the message;
        `client_msg_id` (≤ 64 bytes) lets WeChat drop a repeat of the same message to the same
        follower, so a retry after a lost answer is not delivered twice. Raises
        InvalidRequestError (43004 not a follower, 40003 bad openid, 40037 unknown template,
        48001 the account may not send template messages) and RetryableError.
        """
        if len(client_msg_id.encode()) > TEMPLATE_CLIENT_MSG_ID_MAX_BYTES:
            raise errors.InvalidRequestError(45067, "client_msg_id too long (checked locally)")
        payload = {
            "touser": openid,
            "template_id": template_id,
            "data": {
                key: {"value": str(value)[:TEMPLATE_VALUE_MAX_CHARS]} for key, value in data.items()
            },
        }
        if url:
            payload["url"] = url
        if client_msg_id:
            payload["client_msg_id"] = client_msg_id
        return self._call(
            "POST",
            "cgi-bin/message/template/send",
            body=payload,
            parse=lambda r: str(r["msgid"]),
        )

    def subscribe_send(
        self, *, openid: str, template_id: str, data: dict[str, str], page: str = ""
    ) -> None:
        """Send the subscription notification (订阅通知, CONTRACT.md §16) `template_id` to the
        follower `openid`, who must have opted in to it (one send per opt-in for a one-time
        template). `data` maps its keywords (e.g. thing1, time2) to values, each cut to
        TEMPLATE_VALUE_MAX_CHARS characters; `page` opens when the follower taps it. Raises
        InvalidRequestError (43101 no opt-in left, 43004 not a follower, 40003 bad openid,
        40037 unknown template) and RetryableError.
        """
        payload = {
            "touser": openid,
            "template_id": template_id,
            "data": {
                key: {"value": str(value)[:TEMPLATE_VALUE_MAX_CHARS]} for key, value in data.items()
            },
        }
        if page:
            payload["page"] = page
        self._call("POST", "cgi-bin/message/subscribe/bizsend", body=payload)
