"""Parametric QR codes (带参数二维码, CONTRACT.md §15): a ticket and the URL a QR code encodes.

A scan of the code pushes `subscribe` (EventKey `qrscene_<scene>`, a new follower) or `SCAN`
(EventKey `<scene>`, a follower already) to the callback; wechat.channels attributes both.
"""

from dataclasses import dataclass
from urllib.parse import quote

from .. import errors
from .transport import WECHAT_HOST

# CONTRACT.md §15: a temporary code lives at most 30 days; a string scene is 1 to 64
# characters; a permanent integer scene is 1…100000 (a temporary one any 32-bit non-zero).
QR_EXPIRE_MAX_SECONDS = 30 * 24 * 3600
QR_SCENE_STR_MAX_CHARS = 64
QR_LIMIT_SCENE_ID_MAX = 100_000
# The image of a ticket is served by another host than the API.
SHOWQRCODE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode"


@dataclass(frozen=True)
class QRCode:
    """WeChat's answer: `ticket` (to fetch the image), `url` (what the code encodes; render it
    as a QR code yourself) and `expire_seconds` (None for a permanent code)."""

    ticket: str
    url: str
    expire_seconds: int | None


class QRCodeAPI:
    """The gateway's QR code calls (mixed into WeChatGateway)."""

    def qrcode_create(self, *, scene: str | int, expire_seconds: int | None = None) -> QRCode:
        """A QR code carrying `scene` (a string of 1–64 characters, or an integer):
        temporary for `expire_seconds` (1…2,592,000), permanent when None.

        Checked here before the call (InvalidRequestError 40009-like local refusals carry
        errcode None): a scene string out of length, an integer scene out of range, an expiry
        out of range. WeChat may answer InvalidRequestError (e.g. the account's 100,000
        permanent codes used up) or RetryableError.
        """
        permanent = expire_seconds is None
        if isinstance(scene, bool) or not isinstance(scene, str | int):
            raise errors.InvalidRequestError(None, "scene must be a string or an integer")
        if isinstance(scene, str):
            if not 1 <= len(scene) <= QR_SCENE_STR_MAX_CHARS:
                raise errors.InvalidRequestError(None, "scene_str must be 1 to 64 characters")
            action = "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE"
            info = {"scene_str": scene}
        else:
            high = QR_LIMIT_SCENE_ID_MAX if permanent else 2**32 - 1
            if not 1 <= scene <= high:
                raise errors.InvalidRequestError(None, f"scene_id must be within 1…{high}")
            action = "QR_LIMIT_SCENE" if permanent else "QR_SCENE"
            info = {"scene_id": scene}
        body: dict = {"action_name": action, "action_info": {"scene": info}}
        if not permanent:
            if not 1 <= int(expire_seconds) <= QR_EXPIRE_MAX_SECONDS:
                raise errors.InvalidRequestError(
                    None, f"expire_seconds must be within 1…{QR_EXPIRE_MAX_SECONDS}"
                )
            body["expire_seconds"] = int(expire_seconds)

        def parse(answer: dict) -> QRCode:
            expires = answer.get("expire_seconds")
            return QRCode(
                ticket=str(answer["ticket"]),
                url=str(answer["url"]),
                expire_seconds=None if permanent or expires in (None, "") else int(expires),
            )

        return self._call("POST", "cgi-bin/qrcode/create", body=body, parse=parse)

    def qrcode_image_url(self, ticket: str) -> str:
        """Where the image of `ticket` is (mp.weixin.qq.com's showqrcode; the emulator's own
        when WECHAT_API_BASE_URL points at one). No call is made."""
        base = SHOWQRCODE_URL
        if self.base_url != WECHAT_HOST:
            base = f"{self.base_url}/cgi-bin/showqrcode"
        return f"{base}?ticket={quote(ticket, safe='')}"
