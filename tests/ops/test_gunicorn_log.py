"""gunicorn's access log (deploy/gunicorn.conf.py): no line per health check; the request id."""

import importlib.util
import logging
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

CONF = Path(__file__).resolve().parent.parent.parent / "deploy" / "gunicorn.conf.py"


@pytest.fixture
def access_lines():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", conf.access_log_format)
    logger = conf.AccessLogger(config)
    lines = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger.access_log.handlers = [Capture()]

    def log(path, request_id="-"):
        headers = [("X-FORWARDED-FOR", "10.0.0.9"), ("X-REQUEST-ID", request_id)]
        req = SimpleNamespace(
            headers=headers, method="GET", path=path, query="", uri=path, version=(1, 1)
        )
        resp = SimpleNamespace(status="200 OK", sent=12, headers=[], response_length=12)
        environ = {
            "PATH_INFO": path,
            "RAW_URI": path,
            "REQUEST_METHOD": "GET",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        logger.access(resp, req, environ, timedelta(milliseconds=3))

    return log, lines


def test_a_health_check_leaves_no_access_line(access_lines):
    log, lines = access_lines
    log("/healthz")
    assert lines == []


def test_a_page_is_logged_with_its_request_id(access_lines):
    log, lines = access_lines
    log("/news/", request_id="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert len(lines) == 1
    assert '"GET /news/ HTTP/1.1" 200' in lines[0]
    assert lines[0].endswith("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
