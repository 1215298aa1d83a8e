"""A small client for the emulator's control API (not WeChat's API: that is the gateway's)."""

import json
import urllib.error
import urllib.request


class EmulatorUnavailable(Exception):
    """The emulator did not answer, or refused a control request."""


class EmulatorClient:
    """Talks to /_emulator/ on a running emulator, e.g. `EmulatorClient(base_url).state()`."""

    def __init__(self, base_url: str, *, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, payload: dict | None = None) -> dict:
        data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as exc:
            raise EmulatorUnavailable(f"{exc.code}: {exc.read().decode(errors='replace')}") from exc
        except (OSError, ValueError) as exc:
            raise EmulatorUnavailable(str(exc)) from exc

    def state(self) -> dict:
        """Everything the emulator holds (see EmulatorState.snapshot)."""
        return self._call("GET", "state")

    def reset(self, **config_changes) -> None:
        self._call("POST", "reset", config_changes)

    def set_faults(self, **faults) -> None:
        """Replace the injected faults; no arguments switches them off (see Faults)."""
        self._call("POST", "faults", faults)

    def configure(self, **changes) -> None:
        self._call("POST", "config", changes)

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "clock", {"advance_seconds": seconds})

    def expire_tokens(self) -> None:
        self._call("POST", "tokens/expire", {})

    def subscribe(self, openid: str | None = None) -> str:
        return self._call("POST", "followers/subscribe", {"openid": openid})["openid"]

    def unsubscribe(self, openid: str) -> None:
        self._call("POST", "followers/unsubscribe", {"openid": openid})

    def qrcode_scan(
        self, *, ticket: str = "", scene: str = "", openid: str | None = None, new: bool = False
    ) -> dict:
        """Someone scans a QR code: a new follower (`new`) or the follower `openid`."""
        payload = {"ticket": ticket, "scene": scene, "openid": openid, "new": new}
        return self._call("POST", "qrcode/scan", payload)

    def follower_message(self, *, openid: str | None = None, msg_type: str = "text", **fields):
        """A follower sends a message (fields as WeChat names them: Content, PicUrl…); returns
        the emulator's record with the site's reply."""
        payload = {"openid": openid, "msg_type": msg_type, **fields}
        return self._call("POST", "followers/message", payload)

    def subscribe_popup(self, *, openid: str, template_ids: list[str], accept: bool = True) -> dict:
        """The follower answers the subscription-notification opt-in popup."""
        payload = {"openid": openid, "template_ids": template_ids, "accept": accept}
        return self._call("POST", "subscribe/popup", payload)
