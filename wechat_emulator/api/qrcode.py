"""Parametric QR codes (CONTRACT.md §15): qrcode/create, the showqrcode image and scans.

A scan (control path POST /_emulator/qrcode/scan) pushes what WeChat pushes: `subscribe` with
EventKey `qrscene_<scene>` and the Ticket for someone who did not follow yet (a new follower),
`SCAN` with EventKey `<scene>` for a follower.
"""

import hashlib
import io

from .. import callbacks
from .common import ApiError, index_of, openid_for

QR_EXPIRE_MAX_SECONDS = 30 * 24 * 3600
# WeChat's default lifetime of a temporary code sent without expire_seconds (documented as
# 60 seconds on the current page, 30 on older copies).
QR_EXPIRE_DEFAULT_SECONDS = 60
QR_SCENE_STR_MAX_CHARS = 64
QR_LIMIT_SCENE_ID_MAX = 100_000
# What qrcode/create answers when the account's permanent codes are used up [unconfirmed:
# WxJava lists 45029 "qrcode count out of limit"].
PERMANENT_LIMIT_ERRCODE = 45029
ACTIONS = ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE")


class QRCodeApi:
    """Mixed into EmulatorState (state.py): runs under its lock, on its data, with its
    `config` (`qrcode_permanent_max`), `now()` and `_next()`."""

    def _qrcode_create(self, request: dict) -> dict:
        data = request["json"]
        action = data.get("action_name")
        if action not in ACTIONS:
            raise ApiError(40097, "invalid args (action_name)")
        info = data.get("action_info")
        scene = info.get("scene") if isinstance(info, dict) else None
        if not isinstance(scene, dict):
            raise ApiError(40097, "invalid args (action_info.scene)")
        permanent = action.startswith("QR_LIMIT")
        if action.endswith("STR_SCENE"):
            value = scene.get("scene_str")
            if not isinstance(value, str) or not 1 <= len(value) <= QR_SCENE_STR_MAX_CHARS:
                raise ApiError(40097, "invalid args (scene_str must be 1 to 64 characters)")
        else:
            value = scene.get("scene_id")
            high = QR_LIMIT_SCENE_ID_MAX if permanent else 2**32 - 1
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ApiError(40097, f"invalid args (scene_id must be within 1..{high})")
            value = str(value)
        expire = None
        if not permanent:
            expire = data.get("expire_seconds", QR_EXPIRE_DEFAULT_SECONDS)
            if isinstance(expire, bool) or not isinstance(expire, int) or expire < 1:
                raise ApiError(47001, "data format error (expire_seconds)")
            # [unconfirmed] WeChat documents the maximum, not the answer above it: the emulator
            # shortens the lifetime to the maximum, as the answer's expire_seconds then says.
            expire = min(expire, QR_EXPIRE_MAX_SECONDS)
        else:
            existing = [q for q in self.qrcodes.values() if q["permanent"]]
            # The same permanent scene answers the same ticket (WeChat's codes are by scene).
            for code in existing:
                if code["scene"] == value and code["action"] == action:
                    return {"ticket": code["ticket"], "url": code["url"]}
            if len(existing) >= self.config.qrcode_permanent_max:
                raise ApiError(PERMANENT_LIMIT_ERRCODE, "qrcode count out of limit")
        number = self._next("qrcode")
        ticket = "gQ" + hashlib.sha256(f"{self.config.app_id}:{number}".encode()).hexdigest()[:40]
        url = f"http://weixin.qq.com/q/emu{number:06d}"
        now = self.now()
        self.qrcodes[ticket] = {
            "ticket": ticket,
            "action": action,
            "scene": value,
            "permanent": permanent,
            "url": url,
            "created_at": now,
            "expires_at": None if permanent else now + expire,
            "scans": 0,
        }
        answer = {"ticket": ticket, "url": url}
        if not permanent:
            answer["expire_seconds"] = expire
        return answer

    def qrcode_image(self, ticket: str) -> bytes | None:
        """The PNG of a live ticket (what showqrcode answers), or None (WeChat: HTTP 404)."""
        with self.lock:
            code = self.qrcodes.get(ticket)
            if code is None or self._qrcode_expired(code):
                return None
            url = code["url"]
        import segno  # only the image needs it

        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
        return out.getvalue()

    def _qrcode_expired(self, code: dict) -> bool:
        return code["expires_at"] is not None and self.now() >= code["expires_at"]

    def qrcode_scan(
        self, *, ticket: str = "", scene: str = "", openid: str | None = None, new: bool = False
    ) -> dict:
        """Someone scans a code (by `ticket`, or by `scene` for the newest code of that scene):
        with `new` a new follower follows through it (subscribe, `qrscene_` EventKey); else the
        follower `openid` (default: follower 0) scans it (SCAN). The event is pushed to the
        callback. Returns {"openid", "event"}. Raises ValueError for an unknown or expired code
        or a follower who does not follow."""
        with self.lock:
            code = self.qrcodes.get(ticket) if ticket else None
            if code is None and scene:
                matches = [q for q in self.qrcodes.values() if q["scene"] == str(scene)]
                code = matches[-1] if matches else None
            if code is None:
                raise ValueError("no such QR code")
            if self._qrcode_expired(code):
                raise ValueError("the QR code has expired")
            if new:
                index = index_of(openid) if openid else None
                if index is not None and self._is_follower(index):
                    raise ValueError(f"{openid} follows already: scan without new")
                if index is None or index >= self.follower_count:
                    index = self.follower_count
                    self.follower_count += 1
                self.unsubscribed.discard(index)
                event, key = "subscribe", "qrscene_" + code["scene"]
            else:
                index = index_of(openid) if openid else 0
                if not self._is_follower(index):
                    raise ValueError(f"{openid} is not a follower")
                event, key = "SCAN", code["scene"]
            code["scans"] += 1
            self.touch_follower(index, message=False)
            self._save()
        who = openid_for(index)
        self._push_qrcode_event(who, event, key, code["ticket"])
        return {"openid": who, "event": event}

    def _push_qrcode_event(self, openid: str, event: str, key: str, ticket: str) -> None:
        cdata = callbacks._cdata
        body = f"<EventKey>{cdata(key)}</EventKey><Ticket>{cdata(ticket)}</Ticket>"
        xml = callbacks.event_xml(
            to_user=self.config.account_id,
            from_user=openid,
            create_time=int(self.now()),
            event=event,
            body=body,
        )
        about = {"event": event, "openid": openid, "event_key": key}
        self.background.run(self._push, xml, openid, about)
