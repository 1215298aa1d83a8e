"""Customer-service messages (客服消息, CONTRACT.md §14): staff answer one follower.

WeChat accepts them only within 48 hours of the follower's last message, menu click,
follow or scan; after that it answers 45015, raised as `CustomWindowClosedError`.
"""

from .. import errors

# WeChat's limit on a customer-service text is 2048 bytes [unconfirmed]; refused here first.
CUSTOM_TEXT_MAX_BYTES = 2048


class CustomMessagesAPI:
    """The gateway's customer-service calls (mixed into WeChatGateway)."""

    def custom_send_text(self, *, openid: str, content: str) -> None:
        """Send `content` to the follower `openid`. Raises CustomWindowClosedError (45015: more
        than 48 hours since the follower's last interaction), InvalidRequestError (43004 not a
        follower, 40003 bad openid, 45047 too many in the window, 45002 too long) and
        RetryableError."""
        if not content.strip():
            raise errors.InvalidRequestError(44003, "empty content (checked locally)")
        if len(content.encode()) > CUSTOM_TEXT_MAX_BYTES:
            raise errors.InvalidRequestError(45002, "content too long (checked locally)")
        self._custom_send({"touser": openid, "msgtype": "text", "text": {"content": content}})

    def custom_send_image(self, *, openid: str, media_id: str) -> None:
        """Send the image `media_id` (a permanent image material) to `openid`; raises as
        custom_send_text, and InvalidRequestError 40007 for an unknown media_id."""
        self._custom_send({"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    def _custom_send(self, body: dict) -> None:
        self._call("POST", "cgi-bin/message/custom/send", body=body)
