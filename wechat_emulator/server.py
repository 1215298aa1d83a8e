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
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .config import EmulatorConfig
from .state import EmulatorState

logger = logging.getLogger(__name__)

MAX_BODY = 20 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: "EmulatorServer"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "WeChatEmulator/1.0"
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped one is unambiguous

    def log_message(self, format, *args):
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method: str) -> None:
        state = self.server.emulator.state
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, {"errcode": 45001, "errmsg": "request too large"})
            return
        body = self.rfile.read(length) if length else b""
        try:
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
            answer = state.handle(
                method, url.path, query, body, self.headers.get("Content-Type", "")
            )
            if decision.drop_after_commit:
                self._drop()
                return
            self._send(200, answer)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("The client left before the answer to %s %s", method, self.path)
        except Exception:
            logger.exception("The WeChat emulator failed on %s %s", method, self.path)
            self._send(500, {"errcode": -1, "errmsg": "emulator error (see its log)"})

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
    try:
        data = json.loads(body.decode() or "{}") if body.strip() else {}
    except ValueError:
        return 400, {"error": "body is not JSON"}
    if not isinstance(data, dict):
        return 400, {"error": "body must be a JSON object"}
    route = path.removeprefix("/_emulator/").strip("/")
    try:
        if route == "state" and method == "GET":
            return 200, state.snapshot()
        if route == "health":
            return 200, {"ok": True}
        if route == "faults" and method == "GET":
            return 200, state.faults.as_dict()
        if method != "POST":
            return 405, {"error": "use POST"}
        if route == "reset":
            state.reset(**data)
        elif route == "faults":
            state.set_faults(**data)
        elif route == "config":
            state.configure(**data)
        elif route == "clock":
            state.advance_clock(float(data.get("advance_seconds", 0)))
        elif route == "tokens/expire":
            state.expire_tokens()
        elif route == "followers/subscribe":
            return 200, {"openid": state.subscribe(data.get("openid"))}
        elif route == "followers/unsubscribe":
            state.unsubscribe(str(data.get("openid", "")))
        elif route == "followers/message":
            return 200, state.follower_message(**data)
        elif route == "subscribe/popup":
            return 200, state.subscribe_popup(
                openid=str(data.get("openid") or ""),
                template_ids=[str(t) for t in data.get("template_ids") or []],
                accept=bool(data.get("accept", True)),
            )
        elif route == "qrcode/scan":
            return 200, state.qrcode_scan(
                ticket=str(data.get("ticket") or ""),
                scene=str(data.get("scene") or ""),
                openid=data.get("openid"),
                new=bool(data.get("new")),
            )
        elif route == "menu/backend":
            state.menu_edit_in_backend(data.get("button"))
        elif route == "logs/trim":
            return 200, {"removed": state.logs_trim(float(data.get("older_than_seconds", 0)))}
        else:
            return 404, {"error": f"no control path {route}"}
    except (TypeError, ValueError) as exc:
        return 400, {"error": str(exc)}
    return 200, {"ok": True}


class EmulatorServer:
    """The emulator on a real socket. `port=0` takes a free port; `url` says which.

    In tests: `server = EmulatorServer(port=0, config=...).start()`, then `server.url`,
    `server.state` (an EmulatorState: reset, set_faults, snapshot…) and `server.stop()`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        state_file: str | None = None,
    ):
        self.state = EmulatorState(config, state_file=state_file)
        self.httpd = _Server((host, port), _Handler)
        self.httpd.emulator = self
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "EmulatorServer":
        """Serve from a background thread; returns self."""
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the management command)."""
        try:
            self.httpd.serve_forever(poll_interval=0.5)
        finally:
            self.state.close()
            self.httpd.server_close()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.state.close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
