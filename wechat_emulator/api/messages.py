"""Template messages (CONTRACT.md §16): message/template/send to one follower."""

from .common import ApiError, index_of

# WeChat drops a repeat of the same client_msg_id to the same follower for a while
# (unconfirmed: documented as 10 minutes; what a repeat answers is not documented, the emulator
# answers the first message's msgid).
CLIENT_MSG_ID_WINDOW = 600


class TemplateMessageApi:
    """Sends a template message: service accounts only, to a follower, with a known template.

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and use
    its `config`, `now()` and `_next()`.
    """

    def _template_send(self, request: dict) -> dict:
        data = request["json"]
        if self.config.account_type != "service":
            raise ApiError(48001, "api unauthorized (template messages need a service account)")
        touser = data.get("touser")
        index = index_of(touser)
        if index is None or index >= self.follower_count:
            raise ApiError(40003, "invalid openid")
        if index in self.unsubscribed:
            raise ApiError(43004, "require subscribe")
        template_id = data.get("template_id")
        if not isinstance(template_id, str) or template_id not in self.config.template_ids:
            raise ApiError(40037, "invalid template_id")
        fields = data.get("data")
        if not isinstance(fields, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in fields.values()
        ):
            raise ApiError(47001, "data format error (data)")
        url = data.get("url", "")
        if not isinstance(url, str):
            raise ApiError(47001, "data format error (url)")
        client_msg_id = data.get("client_msg_id") or ""
        if not isinstance(client_msg_id, str) or len(client_msg_id.encode()) > 64:
            raise ApiError(47001, "data format error (client_msg_id)")
        now = self.now()
        if client_msg_id:
            for message in reversed(self.template_messages):
                if (
                    message["client_msg_id"] == client_msg_id
                    and message["touser"] == touser
                    and now - message["at"] < CLIENT_MSG_ID_WINDOW
                ):
                    return {"errcode": 0, "errmsg": "ok", "msgid": int(message["msgid"])}
        msgid = str(3_000_000_000 + self._next("msg"))
        values = {key: value["value"] for key, value in fields.items()}
        self.template_messages.append(
            {
                "msgid": msgid,
                "at": now,
                "touser": touser,
                "template_id": template_id,
                "url": url,
                "client_msg_id": client_msg_id,
                "data": values,
            }
        )
        self.inbox.append(
            {
                "kind": "template",
                "msg_id": msgid,
                "at": now,
                "audience": touser,
                "articles": list(values.values()),
                "recipients": 1,
                "sample_openids": [touser],
            }
        )
        # WeChat reports the delivery a moment later (TEMPLATESENDJOBFINISH, §16).
        status = self.faults.template_status or "success"
        self._later(self.config.callback_delay, self._template_finish, touser, msgid, status)
        return {"errcode": 0, "errmsg": "ok", "msgid": int(msgid)}
