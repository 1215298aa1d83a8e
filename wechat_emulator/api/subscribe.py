"""Subscription notifications (订阅通知, CONTRACT.md §16): opt-ins and message/subscribe/bizsend.

A follower opts in on a page (the wx-open-subscribe tag); the emulator's control path
POST /_emulator/subscribe/popup plays that part and pushes `subscribe_msg_popup_event` with the
fields SDKs read (SubscribeMsgPopupEvent/List: TemplateId, SubscribeStatusString, PopupScene).
A one-time template allows one bizsend per opt-in; without one WeChat answers 43101.
"""

from .. import callbacks
from .common import ApiError, index_of


class SubscribeMessageApi:
    """Mixed into EmulatorState (state.py): its lock, data, `config.subscribe_template_ids`,
    `now()`, `_next()` and `_push`."""

    def _subscribe_send(self, request: dict) -> dict:
        data = request["json"]
        touser = data.get("touser")
        index = index_of(touser)
        if index is None or index >= self.follower_count:
            raise ApiError(40003, "invalid openid")
        if index in self.unsubscribed:
            raise ApiError(43004, "require subscribe")
        template_id = data.get("template_id")
        if (
            not isinstance(template_id, str)
            or template_id not in self.config.subscribe_template_ids
        ):
            raise ApiError(40037, "invalid template_id")
        fields = data.get("data")
        if not isinstance(fields, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in fields.values()
        ):
            raise ApiError(47001, "data format error (data)")
        if any(len(v["value"]) > 20 for v in fields.values()):
            raise ApiError(47003, "argument invalid! data.value too long")
        key = f"{touser}|{template_id}"
        if self.subscribe_optins.get(key, 0) <= 0:
            raise ApiError(43101, "user refuse to accept the msg")
        self.subscribe_optins[key] -= 1
        now = self.now()
        values = {name: value["value"] for name, value in fields.items()}
        self.subscribe_messages.append(
            {"at": now, "touser": touser, "template_id": template_id, "data": values,
             "page": data.get("page", "")}
        )  # fmt: skip
        self.inbox.append(
            {"kind": "subscribe", "msg_id": "", "at": now, "audience": touser,
             "articles": list(values.values()), "recipients": 1, "sample_openids": [touser]}
        )  # fmt: skip
        return {"errcode": 0, "errmsg": "ok"}

    def subscribe_popup(self, *, openid: str, template_ids: list[str], accept: bool = True) -> dict:
        """The follower answers the opt-in popup for `template_ids`: each accepted one allows one
        more bizsend. Pushes subscribe_msg_popup_event. Raises ValueError for a non-follower
        or an unknown template."""
        with self.lock:
            index = index_of(openid)
            if not self._is_follower(index):
                raise ValueError(f"{openid} is not a follower")
            unknown = [t for t in template_ids if t not in self.config.subscribe_template_ids]
            if unknown or not template_ids:
                raise ValueError(f"unknown templates: {unknown}")
            if accept:
                for template_id in template_ids:
                    key = f"{openid}|{template_id}"
                    self.subscribe_optins[key] = self.subscribe_optins.get(key, 0) + 1
            self._save()
        cdata = callbacks._cdata
        status = "accept" if accept else "reject"
        items = "".join(
            f"<List><TemplateId>{cdata(t)}</TemplateId>"
            f"<SubscribeStatusString>{cdata(status)}</SubscribeStatusString>"
            "<PopupScene>2</PopupScene></List>"
            for t in template_ids
        )
        xml = callbacks.event_xml(
            to_user=self.config.account_id,
            from_user=openid,
            create_time=int(self.now()),
            event="subscribe_msg_popup_event",
            body=f"<SubscribeMsgPopupEvent>{items}</SubscribeMsgPopupEvent>",
        )
        about = {"event": "subscribe_msg_popup_event", "openid": openid}
        self.background.run(self._push, xml, openid, about)
        return {"openid": openid, "accepted": accept}

    def _template_finish(self, touser: str, msgid: str, status: str) -> None:
        """TEMPLATESENDJOBFINISH for a template message (§16), pushed after callback_delay."""
        cdata = callbacks._cdata
        xml = callbacks.event_xml(
            to_user=self.config.account_id,
            from_user=touser,
            create_time=int(self.now()),
            event="TEMPLATESENDJOBFINISH",
            body=f"<MsgID>{msgid}</MsgID><Status>{cdata(status)}</Status>",
        )
        self._push(xml, touser, {"event": "TEMPLATESENDJOBFINISH", "msg_id": msgid})

    def _jsapi_ticket(self, request: dict) -> dict:
        """cgi-bin/ticket/getticket?type=jsapi: the JS-SDK ticket pages sign wx.config with
        (needed by the wx-open-subscribe opt-in button). A new ticket each call."""
        if request["query"].get("type") != "jsapi":
            raise ApiError(40097, "invalid args (type)")
        ticket = f"emu-jsapi-{self._next('ticket'):06d}"
        self.jsapi_tickets.append(ticket)
        return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": 7200}
