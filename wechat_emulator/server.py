"""The emulator's HTTP server: WeChat's API paths, plus control paths under /_emulator/.

Control API (JSON in, JSON out):

    GET  /_emulator/state                 everything: drafts, sends, inbox, tags, counters…
    POST /_emulator/reset                 forget everything; body: config changes, or {}
    GET  /_emulator/faults                the injected faults
    POST /_emulator/faults                replace them; {} switches them off (see Faults)
    POST /_emulator/config                change config fields until the next reset
    POST /_emulator/clock                 {"advance_seconds": 86400}
    POST /_emulator/tokens/expire         every issued access token expires now
    POST /_emulator/followers/subscribe   {"openid": optional}: follow, push the event
    POST /_emulator/followers/unsubscribe {"openid": …}: unfollow, push the event
    POST /_emulator/followers/message     {"openid"?, "msg_type": "text", "Content": …}: a
                                          follower writes; pushed at once, the site's reply
                                          read back and returned
    POST /_emulator/subscribe/popup       {"openid", "template_ids": [...], "accept"?}: the
                                          follower opts in to subscription notifications
    POST /_emulator/qrcode/scan           {"ticket" or "scene", "openid"?, "new"?}: a scan of a
                                          QR code; pushes subscribe (new) or SCAN
    POST /_emulator/menu/backend          {"button": [...]}: someone edits the menu on
                                          mp.weixin.qq.com (menu/get then answers it)
    POST /_emulator/logs/trim             {"older_than_seconds": N}: drop older inbox and
                                          callback-log entries (the site's retention task)

Web authorization: GET /connect/oauth2/authorize redirects (302) to the redirect_uri with a
one-time code for config.oauth_openid; GET /sns/oauth2/access_token exchanges it for the openid.
"""

import contextlib
import json
import socket
import time

from emulator_kit import EmulatorHandler, EmulatorServerBase, control

from .config import EmulatorConfig
from .state import EmulatorState


class _Handler(EmulatorHandler):
    server_version = "WeChatEmulator/1.0"
    max_body = 20 * 1024 * 1024

    def too_large(self) -> None:
        self._send(413, {"errcode": 45001, "errmsg": "request too large"})

    def failed(self) -> None:
        self._send(500, {"errcode": -1, "errmsg": "emulator error (see its log)"})

    def respond(self, method, url, query, body) -> None:
        state = self.server.emulator.state
        if url.path.startswith("/_emulator/"):
            status, answer = _control(state, method, url.path, body)
            self._send(status, answer)
            return
        decision = state.fault_for(url.path)
        if decision.latency:
            time.sleep(decision.latency)
        if decision.http_status:
            self._send(decision.http_status, {"error": "injected HTTP failure"})
            return
        if decision.errcode is not None:
            errmsg = f"injected error {decision.errcode}"
            self._send(200, {"errcode": decision.errcode, "errmsg": errmsg, **decision.extra})
            return
        if url.path.strip("/") == "cgi-bin/showqrcode":
            self._send_image(state.qrcode_image(query.get("ticket", "")))
            return
        if url.path.strip("/") == state.OAUTH_AUTHORIZE_PATH:
            status, answer = state.oauth_authorize(query)
            if status == 302:
                self._redirect(answer)
            else:
                self._send(status, answer)
            return
        answer = state.handle(method, url.path, query, body, self.headers.get("Content-Type", ""))
        if decision.drop_after_commit:
            self._drop()
            return
        self._send(200, answer)

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_image(self, png: bytes | None) -> None:
        """showqrcode's answer: the PNG, or 404 for an unknown or expired ticket."""
        if png is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(png)))
        self.end_headers()
        self.wfile.write(png)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _drop(self) -> None:
        """Close the connection without a word, after the request took effect."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _control(state: EmulatorState, method: str, path: str, body: bytes) -> tuple[int, dict]:
    get = {"state": state.snapshot, "faults": state.faults.as_dict}
    post = {
        "reset": lambda data: state.reset(**data),
        "faults": lambda data: state.set_faults(**data),
        "config": lambda data: state.configure(**data),
        "clock": lambda data: state.advance_clock(float(data.get("advance_seconds", 0))),
        "tokens/expire": lambda data: state.expire_tokens(),
        "followers/subscribe": lambda data: {"openid": state.subscribe(data.get("openid"))},
        "followers/unsubscribe": lambda data: state.unsubscribe(str(data.get("openid", ""))),
        "followers/message": lambda data: state.follower_message(**data),
        "subscribe/popup": lambda data: state.subscribe_popup(
            openid=str(data.get("openid") or ""),
            template_ids=[str(t) for t in data.get("template_ids") or []],
            accept=bool(data.get("accept", True)),
        ),
        "qrcode/scan": lambda data: state.qrcode_scan(
            ticket=str(data.get("ticket") or ""),
            scene=str(data.get("scene") or ""),
            openid=data.get("openid"),
            new=bool(data.get("new")),
        ),
        "menu/backend": lambda data: state.menu_edit_in_backend(data.get("button")),
        "logs/trim": lambda data: {
            "removed": state.logs_trim(float(data.get("older_than_seconds", 0)))
        },
    }
    return control(method, path, body, get=get, post=post)


class EmulatorServer(EmulatorServerBase):
    """The emulator on a real socket. `port=0` takes a free port; `url` says which.

    In tests: `server = EmulatorServer(port=0, config=...).start()`, then `server.url`,
    `server.state` (an EmulatorState: reset, set_faults, snapshot…) and `server.stop()`.
    """

    handler = _Handler

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        state_file: str | None = None,
    ):
        self.state = EmulatorState(config, state_file=state_file)
        super().__init__(host=host, port=port)

    def close_state(self) -> None:
        self.state.close()
