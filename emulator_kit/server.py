"""The HTTP skeleton of an emulator: a threading server on a free port, its start and stop, the
request reading every handler repeats, and the JSON control paths under /_emulator/.

An emulator subclasses `EmulatorHandler` (its `respond`, `too_large` and `failed`) and
`EmulatorServerBase` (builds its state, then calls `super().__init__`), and answers its control
paths with `control(...)` and a table of routes.
"""

import json
import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import SplitResult, parse_qsl, urlsplit

logger = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: "EmulatorServerBase"


class EmulatorHandler(BaseHTTPRequestHandler):
    """Reads a GET or POST (path, query, body up to `max_body` bytes) and hands it to `respond`.

    A client that leaves early is logged at debug level; any other exception is logged and
    answered with `failed()`, so a bug in an emulator shows as a 500, not a hung test.
    """

    server: _Server
    max_body: int = 1024 * 1024
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped one is unambiguous

    def respond(self, method: str, url: SplitResult, query: dict[str, str], body: bytes) -> None:
        raise NotImplementedError

    def too_large(self) -> None:
        """Answer a request whose body is over `max_body` (it is not read)."""
        raise NotImplementedError

    def failed(self) -> None:
        """Answer a request the emulator failed on (the exception is logged)."""
        raise NotImplementedError

    def log_message(self, format, *args):
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self._receive("GET")

    def do_POST(self):
        self._receive("POST")

    def _receive(self, method: str) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.max_body:
            self.too_large()
            return
        body = self.rfile.read(length) if length else b""
        try:
            self.respond(method, url, query, body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("The client left before the answer to %s %s", method, self.path)
        except Exception:
            logger.exception("%s failed on %s %s", self.server_version, method, self.path)
            self.failed()


Answer = tuple[int, Any]


def control(
    method: str,
    path: str,
    body: bytes,
    *,
    get: Mapping[str, Callable[[], Any]],
    post: Mapping[str, Callable[[dict], Any]],
) -> Answer:
    """(status, JSON answer) for a control path: /_emulator/<route>, a JSON object as body.

    `get[route]()` answers a GET; `post[route](data)` a POST, `{"ok": true}` when it returns
    None. /_emulator/health answers any method. A TypeError or ValueError (a wrong field, a bad
    value) is a 400; other exceptions are the caller's to map.
    """
    try:
        data = json.loads(body.decode() or "{}") if body.strip() else {}
    except ValueError:
        return 400, {"error": "body is not JSON"}
    if not isinstance(data, dict):
        return 400, {"error": "body must be a JSON object"}
    route = path.removeprefix("/_emulator/").strip("/")
    try:
        if method == "GET" and route in get:
            return 200, get[route]()
        if route == "health":
            return 200, {"ok": True}
        if method != "POST":
            return 405, {"error": "use POST"}
        if route not in post:
            return 404, {"error": f"no control path {route}"}
        answer = post[route](data)
    except (TypeError, ValueError) as exc:
        return 400, {"error": str(exc)}
    return 200, {"ok": True} if answer is None else answer


class EmulatorServerBase:
    """An emulator on a real socket. `port=0` takes a free port; `url` says which.

    `start()` serves from a daemon thread (tests: `with Server(...) as server:` or `start()`
    then `stop()`); `serve_forever()` serves in this thread (a management command). Both end
    by closing the socket and calling `close_state()`.
    """

    handler: type[EmulatorHandler]
    state: Any

    def __init__(self, *, host: str, port: int):
        self.httpd = _Server((host, port), self.handler)
        self.httpd.emulator = self
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close_state(self) -> None:
        """Release what the state holds (a state file); nothing by default."""

    def start(self) -> Self:
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
            self.close_state()
            self.httpd.server_close()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.close_state()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
