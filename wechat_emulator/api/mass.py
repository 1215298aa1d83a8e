"""Mass send: sendall with its quota and clientmsgid rules, preview, get, MASSSENDJOBFINISH."""

from .. import callbacks
from .common import MPHELPER_OPENID, ApiError, index_of, openid_for

SAMPLE_SIZE = 10  # recipients' openids kept per inbox entry


class MassSendApi:
    """Sends to all followers or a tag, deduplicated by clientmsgid (CONTRACT.md §6).

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    def _audience(self, data: dict) -> tuple[bool, int | None]:
        audience = data.get("filter")
        if not isinstance(audience, dict):
            raise ApiError(47001, "data format error (filter)")
        if audience.get("is_to_all"):
            return True, None
        tag_id = audience.get("tag_id")
        if not isinstance(tag_id, int) or tag_id not in self.tags:
            raise ApiError(45159, "invalid tag id")
        return False, tag_id

    def _mass_media(self, data: dict) -> str:
        if data.get("msgtype") != "mpnews":
            raise ApiError(40008, "invalid message type (the emulator sends mpnews)")
        media_id = (data.get("mpnews") or {}).get("media_id")
        if not media_id:
            raise ApiError(40007, "invalid media_id")
        return media_id

    def _mass_sendall(self, request: dict) -> dict:
        data = request["json"]
        client_msg_id = data.get("clientmsgid")
        if client_msg_id is not None and len(str(client_msg_id).encode()) > 64:
            raise ApiError(45067, "clientmsgid size out of limit")
        media_id = self._mass_media(data)
        is_to_all, tag_id = self._audience(data)
        now = self.now()
        key = (
            f"id:{client_msg_id}"
            if client_msg_id
            else f"auto:{media_id}:{'all' if is_to_all else tag_id}"
        )
        window = self.config.clientmsgid_retry_window
        last = self.attempts.get(key)
        if window and last is not None and now - last < window:
            raise ApiError(45066, "clientmsgid retry too fast, please wait 1 minute")
        self.attempts[key] = now
        for send in self.sends.values():
            if send["dedup_key"] == key and now - send["created"] < self.config.dedup_window:
                raise ApiError(45065, "clientmsgid exist", msg_id=int(send["msg_id"]))
        draft = self._draft(media_id)
        self._check_quota(now)
        send = self._deliver(draft, media_id, is_to_all, tag_id, now)
        send.update(dedup_key=key, clientmsgid=client_msg_id or "")
        send["send_ignore_reprint"] = int(data.get("send_ignore_reprint") or 0)
        if self.config.consume_draft_on_send:
            self._consume(media_id, "mass-sent")
        self._later(self.config.callback_delay, self._finish_send, send["msg_id"])
        return {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": int(send["msg_id"]),
            "msg_data_id": int(send["msg_data_id"]),
        }

    def _check_quota(self, now: float) -> None:
        day = self._day_of(now).isoformat()
        sent_today = sum(1 for s in self.sends.values() if s["day"] == day)
        limit = (
            self.config.subscription_daily_sends
            if self.config.account_type == "subscription"
            else self.config.service_daily_sends
        )
        if sent_today >= limit:
            raise ApiError(45028, "has no masssend quota")

    def _recipients(self, is_to_all: bool, tag_id: int | None):
        """(total, iterator of recipient indexes in openid order)."""
        if is_to_all:
            total = self.follower_count - len(self.unsubscribed)
            return total, (i for i in range(self.follower_count) if i not in self.unsubscribed)
        members = sorted(self.tag_members.get(tag_id, ()))
        return len(members), iter(members)

    def _deliver(self, draft, media_id, is_to_all, tag_id, now) -> dict:
        total, recipients = self._recipients(is_to_all, tag_id)
        capped = 0
        month = self._day_of(now).strftime("%Y-%m")
        if self.config.account_type == "service":
            # Each follower gets at most N mass messages a month; the rest are filtered out.
            if self.monthly["month"] != month:
                self.monthly = {"month": month, "all": 0, "tagged": {}}
            limit, tagged = self.config.service_monthly_per_follower, self.monthly["tagged"]
            if is_to_all:
                if self.monthly["all"] >= limit:
                    capped = total
                else:
                    capped = sum(
                        1
                        for k, v in tagged.items()
                        if self.monthly["all"] + v >= limit and int(k) not in self.unsubscribed
                    )
                self.monthly["all"] += 1
            else:
                members = list(self.tag_members.get(tag_id, ()))
                for index in members:
                    received = self.monthly["all"] + tagged.get(str(index), 0)
                    if received >= limit:
                        capped += 1
                    else:
                        tagged[str(index)] = tagged.get(str(index), 0) + 1
        filter_count = total - capped
        failing = self.faults.send_status
        error_count = (
            filter_count if failing else int(filter_count * self.config.delivery_error_rate)
        )
        sample = []
        for index in recipients:
            if len(sample) >= SAMPLE_SIZE or failing:
                break
            sample.append(openid_for(index))
        msg_no = self._next("msg")
        msg_id, msg_data_id = str(1_000_000_000 + msg_no), str(2_247_480_000 + msg_no)
        articles = [
            {"idx": i, "title": a["title"], "url": self._article_url(msg_data_id, i)}
            for i, a in enumerate(draft["articles"], 1)
        ]
        send = {
            "msg_id": msg_id,
            "msg_data_id": msg_data_id,
            "media_id": media_id,
            "is_to_all": is_to_all,
            "tag_id": tag_id,
            "created": now,
            "day": self._day_of(now).isoformat(),
            "status": "SENDING",
            "finish_status": failing or "send success",
            "articles": articles,
            "total_count": total,
            "filter_count": filter_count,
            "sent_count": filter_count - error_count,
            "error_count": error_count,
        }
        self.sends[msg_id] = send
        self.inbox.append(
            {
                "kind": "mass",
                "msg_id": msg_id,
                "msg_data_id": msg_data_id,
                "at": now,
                "audience": "all" if is_to_all else f"tag {tag_id}",
                "articles": [a["title"] for a in articles],
                "recipients": send["sent_count"],
                "sample_openids": sample,
            }
        )
        return send

    def _finish_send(self, msg_id: str) -> None:
        with self.lock:
            send = self.sends.get(msg_id)
            if send is None:
                return
            send["status"] = (
                "SEND_SUCCESS" if send["finish_status"] == "send success" else "SEND_FAIL"
            )
            xml = callbacks.event_xml(
                to_user=self.config.account_id,
                from_user=MPHELPER_OPENID,
                create_time=int(self.now()),
                event="MASSSENDJOBFINISH",
                body=callbacks.mass_finish_body(send),
            )
            self._save()
        self._push(xml, MPHELPER_OPENID, {"event": "MASSSENDJOBFINISH", "msg_id": msg_id})

    def _mass_send_openids(self, request: dict) -> dict:
        if self.config.account_type == "subscription":
            raise ApiError(48001, "api unauthorized (mass/send by openid needs a service account)")
        raise ApiError(40066, "invalid url (the emulator implements sendall, not send)")

    def _mass_preview(self, request: dict) -> dict:
        data = request["json"]
        media_id = self._mass_media(data)
        openid = data.get("towxname") or data.get("touser")
        if data.get("towxname"):
            openid = f"wxname:{data['towxname']}"
        elif not self._is_follower(index_of(openid)):
            raise ApiError(40003, "invalid openid")
        draft = self._draft(media_id)
        msg_id = str(1_000_000_000 + self._next("msg"))
        self.inbox.append(
            {
                "kind": "preview",
                "msg_id": msg_id,
                "at": self.now(),
                "audience": openid,
                "articles": [a["title"] for a in draft["articles"]],
                "recipients": 1,
                "sample_openids": [openid],
            }
        )
        return {"errcode": 0, "errmsg": "preview success", "msg_id": int(msg_id)}

    def _mass_get(self, request: dict) -> dict:
        msg_id = str(request["json"].get("msg_id", ""))
        send = self.sends.get(msg_id)
        if send is None:
            raise ApiError(40059, "invalid msg id")
        return {"msg_id": int(msg_id), "msg_status": send["status"]}
