"""The emulators' shared HTTP skeleton, on a toy emulator: the request reading, the control
paths, the server's life. No Django: the kit is standard library only."""

import http.client
import json
import logging
import socket

import pytest

from emulator_kit import EmulatorHandler, EmulatorServerBase, control


class _State:
    def __init__(self):
        self.seen: list[tuple] = []
        self.closed = 0

    def snapshot(self) -> dict:
        return {"seen": len(self.seen)}


class _Handler(EmulatorHandler):
    server_version = "ToyEmulator/1.0"
    max_body = 16

    def respond(self, method, url, query, body) -> None:
        state = self.server.emulator.state
        if url.path.startswith("/_emulator/"):
            self._send(*_control(state, method, url.path, body))
            return
        if url.path == "/boom":
            raise RuntimeError("a bug in the emulator")
        state.seen.append((method, url.path, query, body))
        self._send(200, {"ok": True})

    def too_large(self) -> None:
        self._send(413, {"error": "too large"})

    def failed(self) -> None:
        self._send(500, {"error": "emulator error"})

    def _send(self, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _control(state: _State, method: str, path: str, body: bytes):
    post = {
        "reset": lambda data: state.seen.clear(),
        "echo": lambda data: {"echo": data},
        "number": lambda data: {"n": int(data["n"])},
        "strict": lambda data: _strict(**data),
    }
    return control(method, path, body, get={"state": state.snapshot}, post=post)


def _strict(*, name: str) -> dict:
    return {"name": name}


class _Server(EmulatorServerBase):
    handler = _Handler

    def __init__(self, *, port: int = 0):
        self.state = _State()
        super().__init__(host="127.0.0.1", port=port)

    def close_state(self) -> None:
        self.state.closed += 1


@pytest.fixture
def toy():
    with _Server() as server:
        yield server


def _request(server, method: str, path: str, body: bytes = b"") -> tuple[int, object]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request(method, path, body=body or None)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_port_zero_takes_a_free_port_and_url_names_it(toy):
    assert toy.port != 0
    assert toy.url == f"http://127.0.0.1:{toy.port}"
    assert _request(toy, "GET", "/_emulator/health") == (200, {"ok": True})


def test_a_request_reaches_respond_with_its_query_and_body(toy):
    assert _request(toy, "POST", "/api/thing?a=1&b=", b"hello")[0] == 200
    assert toy.state.seen == [("POST", "/api/thing", {"a": "1", "b": ""}, b"hello")]


def test_a_body_over_max_body_is_refused_unread(toy):
    status, _ = _request(toy, "POST", "/api/thing", b"x" * 17)
    assert status == 413
    assert toy.state.seen == []


def test_a_body_of_exactly_max_body_is_accepted(toy):
    assert _request(toy, "POST", "/api/thing", b"x" * 16)[0] == 200


def test_an_exception_in_the_emulator_is_a_logged_500(toy, caplog):
    with caplog.at_level(logging.ERROR, logger="emulator_kit.server"):
        assert _request(toy, "GET", "/boom") == (500, {"error": "emulator error"})
    assert "ToyEmulator/1.0 failed on GET /boom" in caplog.text


def test_the_server_keeps_serving_after_a_failure(toy):
    _request(toy, "GET", "/boom")
    assert _request(toy, "GET", "/api/after")[0] == 200


def test_stop_closes_the_socket_and_the_state():
    server = _Server().start()
    server.stop()
    assert server.state.closed == 1
    with pytest.raises(OSError), socket.create_connection((server.host, server.port), timeout=1):
        pass


def test_the_context_manager_starts_and_stops():
    with _Server() as server:
        assert _request(server, "GET", "/_emulator/health")[0] == 200
    assert server.state.closed == 1


def test_serve_forever_closes_the_state_when_it_ends():
    server = _Server()
    server.httpd.serve_forever = lambda poll_interval: (_ for _ in ()).throw(KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        server.serve_forever()
    assert server.state.closed == 1


# control --------------------------------------------------------------------------------------
def _control_answer(method: str, route: str, body: bytes = b"") -> tuple[int, object]:
    return _control(_State(), method, f"/_emulator/{route}", body)


def test_control_get_route():
    assert _control_answer("GET", "state") == (200, {"seen": 0})


def test_control_post_route_returning_none_answers_ok():
    state = _State()
    state.seen.append("x")
    assert _control(state, "POST", "/_emulator/reset", b"{}") == (200, {"ok": True})
    assert state.seen == []


def test_control_post_route_answer_is_passed_on():
    assert _control_answer("POST", "echo", b'{"a": 1}') == (200, {"echo": {"a": 1}})


def test_control_empty_body_is_an_empty_object():
    assert _control_answer("POST", "echo", b"  ") == (200, {"echo": {}})


def test_control_health_answers_any_method():
    assert _control_answer("POST", "health") == (200, {"ok": True})


@pytest.mark.parametrize(
    ("method", "route", "body", "status", "error"),
    [
        ("POST", "echo", b"{not json", 400, "body is not JSON"),
        ("POST", "echo", b"[1, 2]", 400, "body must be a JSON object"),
        ("GET", "reset", b"", 405, "use POST"),
        ("GET", "nowhere", b"", 405, "use POST"),
        ("POST", "state", b"", 404, "no control path state"),
        ("POST", "nowhere", b"", 404, "no control path nowhere"),
    ],
)
def test_control_refusals(method, route, body, status, error):
    assert _control_answer(method, route, body) == (status, {"error": error})


def test_control_bad_value_is_400():
    status, answer = _control_answer("POST", "number", b'{"n": "many"}')
    assert status == 400
    assert "many" in answer["error"]


def test_control_unknown_field_is_400():
    status, answer = _control_answer("POST", "strict", b'{"name": "a", "other": 1}')
    assert status == 400
    assert "other" in answer["error"]


def test_control_leaves_other_exceptions_to_the_caller():
    with pytest.raises(KeyError):
        _control_answer("POST", "number", b"{}")
