"""Followers writing to the account and the office answering (CONTRACT.md §13, §14).

`follower_message(...)` (control path POST /_emulator/followers/message) is a follower sending
a message: it is pushed to the callback URL signed (and encrypted in safe mode) as WeChat does,
synchronously, and the site's passive reply is read back as WeChat would read it (decrypted,
MsgSignature checked, ToUserName/FromUserName/MsgType checked); an answer WeChat could not use
is recorded with `reply_error` (WeChat shows the follower "该公众号暂时无法提供服务").

`message/custom/send` answers as WeChat does: 40003 unknown openid, 43004 unfollowed, 45015
outside the window the follower's last interaction opened, 45047 when its messages are used,
40007 unknown image media_id, 44003/45002 empty or too long text, 40008 another msgtype.
The windows are WeChat's since June 2023 (wechat/README.md): a message allows 5 messages
within 48 hours, a follow or a QR scan 3 within one minute; a new interaction while a window
is open keeps the longer time and the larger count (they do not add up).
"""

import xml.etree.ElementTree as ET

from .. import callbacks
from .common import ApiError, index_of, openid_for

CUSTOM_WINDOW_SECONDS = 48 * 3600
CUSTOM_PER_MESSAGE = 5
EVENT_WINDOW_SECONDS = 60
CUSTOM_PER_EVENT = 3
CUSTOM_TEXT_MAX_BYTES = 2048
MESSAGE_TYPES = ("text", "image", "voice", "location", "link")


class ConversationApi:
    """Mixed into EmulatorState: handlers run under its lock and use its data."""

    def touch_follower(self, index: int, *, message: bool = True) -> None:
        """The follower interacted now: a message opens WeChat's 48-hour window of 5 answers,
        an event (`message=False`: follow, scan) one minute of 3."""
        key, now = str(index), self.now()
        seconds, count = (
            (CUSTOM_WINDOW_SECONDS, CUSTOM_PER_MESSAGE)
            if message
            else (EVENT_WINDOW_SECONDS, CUSTOM_PER_EVENT)
        )
        self.last_interaction[key] = now
        if now < self.custom_until.get(key, 0):
            self.custom_until[key] = max(self.custom_until[key], now + seconds)
            self.custom_left[key] = max(self.custom_left.get(key, 0), count)
        else:
            self.custom_until[key] = now + seconds
            self.custom_left[key] = count

    def follower_message(
        self, *, openid: str | None = None, msg_type: str = "text", **fields
    ) -> dict:
        """The follower `openid` (default follower 0) sends a message; returns its record with
        the site's reply. Raises ValueError for an unknown type or a non-follower."""
        if msg_type not in MESSAGE_TYPES:
            raise ValueError(f"msg_type must be one of {', '.join(MESSAGE_TYPES)}")
        with self.lock:
            openid = openid or openid_for(0)
            index = index_of(openid)
            if not self._is_follower(index):
                raise ValueError(f"{openid} is not a follower")
            self.touch_follower(index)
            msg_id = str(24_000_000_000_000_000 + self._next("msg"))
            create_time = int(self.now())
            config = self.config
            record = {
                "msg_id": msg_id,
                "at": self.now(),
                "openid": openid,
                "msg_type": msg_type,
                "fields": {k: str(v) for k, v in fields.items() if v is not None},
                "status": None,
                "reply": None,
                "reply_error": "",
            }
            self.follower_messages.append(record)
            generation = self._generation
            self._save()
        xml = callbacks.message_xml(
            to_user=config.account_id,
            from_user=openid,
            create_time=create_time,
            msg_type=msg_type,
            msg_id=msg_id,
            fields=record["fields"],
        )
        if not config.callback_url:
            with self.lock:
                record["status"] = "no callback URL configured"
            return dict(record)
        url, body = callbacks.signed_request(
            url=config.callback_url,
            xml=xml,
            openid=openid,
            token=config.token,
            encoding_aes_key=config.encoding_aes_key,
            app_id=config.app_id,
            to_user=config.account_id,
        )
        status, answer, elapsed = callbacks.post_for_answer(url, body, config.callback_timeout)
        reply, problem = None, ""
        if status == 200:
            reply, problem = _read_reply(answer, config=config, openid=openid)
            is_image = reply and reply.get("MsgType") == "image"
            if is_image and reply.get("MediaId") not in self.materials:
                problem = "40007: the reply's image media_id is not a permanent material"
        with self.lock:
            if generation != self._generation:
                return dict(record)
            record.update(
                status=status,
                reply=reply,
                reply_error=problem,
                reply_ms=round(elapsed * 1000, 1),
            )
            self._save()
            return dict(record)

    def _custom_send(self, request: dict) -> dict:
        data = request["json"]
        touser = data.get("touser")
        index = index_of(touser)
        if index is None or index >= self.follower_count:
            raise ApiError(40003, "invalid openid")
        if index in self.unsubscribed:
            raise ApiError(43004, "require subscribe")
        if self.now() > self.custom_until.get(str(index), 0):
            raise ApiError(45015, "response out of time limit or subscription is canceled")
        if self.custom_left.get(str(index), 0) <= 0:
            raise ApiError(45047, "out of response count limit")
        msgtype = data.get("msgtype")
        entry = {"at": self.now(), "touser": touser, "msgtype": msgtype}
        if msgtype == "text":
            content = (data.get("text") or {}).get("content")
            if not isinstance(content, str) or not content:
                raise ApiError(44003, "empty content")
            if len(content.encode()) > CUSTOM_TEXT_MAX_BYTES:
                raise ApiError(45002, "content size out of limit")
            entry["content"] = content
        elif msgtype == "image":
            media_id = (data.get("image") or {}).get("media_id")
            if media_id not in self.materials:
                raise ApiError(40007, "invalid media_id")
            entry["media_id"] = media_id
        else:
            raise ApiError(40008, "invalid message type")
        self.custom_left[str(index)] -= 1
        self.custom_messages.append(entry)
        return {"errcode": 0, "errmsg": "ok"}


def _read_reply(answer: bytes, *, config, openid: str) -> tuple[dict | None, str]:
    """(the reply's fields, "") or (None or fields, what WeChat would refuse in it)."""
    text = answer.decode("utf-8", "replace").strip()
    if text in ("", "success"):
        return None, ""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None, "the answer is neither success nor reply XML"
    encrypted = root.findtext("Encrypt")
    if config.encoding_aes_key:
        if not encrypted:
            return None, "safe mode: the reply is not encrypted"
        expected = callbacks.sign(
            config.token, root.findtext("TimeStamp") or "", root.findtext("Nonce") or "", encrypted
        )
        if expected != (root.findtext("MsgSignature") or ""):
            return None, "the reply's MsgSignature does not match"
        try:
            text = callbacks.decrypt(
                encrypted, encoding_aes_key=config.encoding_aes_key, app_id=config.app_id
            )
            root = ET.fromstring(text)
        except (ValueError, ET.ParseError):
            return None, "the reply cannot be decrypted"
    fields = {child.tag: (child.text or "") for child in root if len(child) == 0}
    image = root.find("Image")
    if image is not None:
        fields["MediaId"] = image.findtext("MediaId") or ""
    articles = root.findall("Articles/item")
    if articles:
        fields["Articles"] = [{c.tag: c.text or "" for c in item} for item in articles]
    if fields.get("ToUserName") != openid:
        return fields, "the reply's ToUserName is not the follower"
    if fields.get("FromUserName") != config.account_id:
        return fields, "the reply's FromUserName is not the account"
    if fields.get("MsgType") not in ("text", "image", "voice", "video", "music", "news"):
        return fields, "unknown reply MsgType"
    if fields.get("MsgType") == "news" and (
        fields.get("ArticleCount") != "1" or len(articles) != 1
    ):
        return fields, "a news reply holds exactly one article"
    return fields, ""
