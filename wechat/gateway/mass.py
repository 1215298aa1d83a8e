"""Mass send (群发, CONTRACT.md §6): exactly once by `clientmsgid`, previews and delivery state."""

from dataclasses import dataclass

from .. import errors

CLIENT_MSG_ID_MAX_BYTES = 64


@dataclass(frozen=True)
class SendResult:
    """A mass send WeChat accepted; the outcome arrives later as MASSSENDJOBFINISH."""

    msg_id: str
    msg_data_id: str


@dataclass(frozen=True)
class MassStatus:
    """mass/get: `status` is SEND_SUCCESS, SENDING, SEND_FAIL or DELETE."""

    msg_id: str
    status: str


class MassSendAPI:
    """The gateway's mass-send calls (mixed into WeChatGateway)."""

    def mass_send(
        self,
        *,
        media_id: str,
        tag_id: int | None,
        client_msg_id: str,
        ignore_reprint: bool = False,
    ) -> SendResult:
        """Mass-send a draft to one tag's followers, or to all when `tag_id` is None.

        `client_msg_id` (≤ 64 bytes) makes the send exactly-once: derive it from what is sent,
        store it before calling, and after a RetryableError call again with the same id.
        Raises DuplicateSendError (45065, `.msg_id` is the earlier send: treat as success),
        QuotaError (45028), RetryableError (45066: same id retried too soon),
        InvalidRequestError (40007 draft, 45067 id too long, 45159 tag, 48001).
        """
        if len(client_msg_id.encode()) > CLIENT_MSG_ID_MAX_BYTES:
            raise errors.InvalidRequestError(45067, "clientmsgid too long (checked locally)")
        audience = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        payload = {
            "filter": audience,
            "mpnews": {"media_id": media_id},
            "msgtype": "mpnews",
            "send_ignore_reprint": int(ignore_reprint),
            "clientmsgid": client_msg_id,
        }
        return self._call(
            "POST",
            "cgi-bin/message/mass/sendall",
            body=payload,
            parse=lambda r: SendResult(
                msg_id=str(r["msg_id"]), msg_data_id=str(r.get("msg_data_id", "") or "")
            ),
        )

    def mass_preview(self, *, media_id: str, openid: str) -> str:
        """Send a draft to one follower as a preview (no quota used); return the msg_id.

        Raises InvalidRequestError (40003 openid, 40007 draft).
        """
        payload = {"touser": openid, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
        return self._call(
            "POST",
            "cgi-bin/message/mass/preview",
            body=payload,
            parse=lambda r: str(r.get("msg_id", "")),
        )

    def mass_status(self, msg_id: str) -> MassStatus:
        """The delivery state of a mass send. Raises InvalidRequestError 40059 (unknown)."""
        return self._call(
            "POST",
            "cgi-bin/message/mass/get",
            body={"msg_id": msg_id},
            parse=lambda r: MassStatus(msg_id=str(r.get("msg_id", msg_id)), status=r["msg_status"]),
        )
