"""Log lines: a request id on each (and on the response), the chosen format, no personal data."""

import json
import logging

import pytest
from celery import shared_task

from core.logformat import JsonFormatter, KeyValueFormatter, TextFormatter, line_formatter
from core.redaction import RedactFilter, redact
from core.requestid import HEADER, RequestIdFilter, request_id_var

pytestmark = pytest.mark.django_db
logger = logging.getLogger("tests.ops")


@pytest.fixture
def lines():
    """Records as the console handler writes them (redaction, request id), in key=value."""
    captured = []

    class Capture(logging.Handler):
        def emit(self, record):
            captured.append(self.format(record))

    handler = Capture()
    handler.addFilter(RedactFilter())
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield captured
    root.removeHandler(handler)


def test_a_well_formed_request_id_from_nginx_is_kept(client):
    response = client.get("/news/", HTTP_X_REQUEST_ID="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert response[HEADER] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_a_request_without_an_id_gets_a_new_one(client):
    first = client.get("/news/")[HEADER]
    second = client.get("/news/")[HEADER]
    assert len(first) == 32
    assert first != second


@pytest.mark.parametrize(
    "header", ["short", "x" * 65, "has space in it", 'quote"d-0123456789', "line\nbreak-012345"]
)
def test_a_malformed_request_id_is_replaced(client, header):
    response = client.get("/news/", HTTP_X_REQUEST_ID=header)
    assert response[HEADER] != header
    assert len(response[HEADER]) == 32


def test_log_lines_of_a_request_carry_its_id(client, lines):
    client.get("/news/?q=%00", HTTP_X_REQUEST_ID="req-0123456789abcdef")
    assert any("request_id=req-0123456789abcdef" in line for line in lines)


def test_log_lines_outside_a_request_say_none(lines):
    logger.warning("outside")
    assert "request_id=- " in lines[-1]


def test_a_celery_task_logs_its_task_id(lines, celery_eager):
    @shared_task(name="tests.ops.log_something")
    def log_something():
        logger.warning("inside the task")

    result = log_something.delay()
    line = next(line for line in lines if "inside the task" in line)
    assert f"request_id=task-{result.id}" in line


def test_the_task_id_is_gone_after_the_task(lines, celery_eager):
    @shared_task(name="tests.ops.noop")
    def noop():
        return None

    noop.delay()
    assert request_id_var.get() == "-"


def test_keyvalue_lines_quote_and_keep_one_line():
    record = logging.LogRecord("x", logging.ERROR, "", 0, 'two\nlines "quoted"', None, None)
    record.request_id = "abc"
    line = KeyValueFormatter().format(record)
    assert "\n" not in line
    assert 'msg="two\\nlines \\"quoted\\""' in line


def test_json_lines_parse_with_the_request_id():
    record = logging.LogRecord("x", logging.INFO, "", 0, "hello %s", ("校友",), None)
    record.request_id = "abc"
    data = json.loads(JsonFormatter().format(record))
    assert data["msg"] == "hello 校友"
    assert data["request_id"] == "abc"
    assert data["level"] == "INFO"


def test_a_traceback_stays_on_the_json_line():
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "", 0, "failed", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad" in json.loads(line)["exc"]


def test_the_default_format_is_readable_text():
    assert isinstance(line_formatter(), TextFormatter)


def test_an_unknown_log_format_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="json, keyvalue, text"):
        line_formatter("xml")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "token answer {'access_token': 'ACCESS-TOKEN-XYZ', 'expires_in': 7200}",
            "ACCESS-TOKEN-XYZ",
        ),
        ("GET cgi-bin/stable_token secret=APPSECRET123", "APPSECRET123"),
        ("Your verification code is 482913. It is valid", "482913"),
        ("发送验证码：482913", "482913"),
        ("call 138 0013 8000 about it", "0013"),
        ("call 138-0013-8000 about it", "0013"),
        ("身份证 11010119900307123X", "19900307"),
        ("oauth code=061abcDEF2 state=x", "061abcDEF2"),
        ("Authorization: Bearer eyJhbGciOi", "eyJhbGciOi"),
    ],
)
def test_personal_data_and_secrets_never_reach_the_log(lines, text, secret):
    logger.warning(text)
    assert secret not in lines[-1]


def test_redaction_leaves_ordinary_numbers_alone():
    assert redact("push 12 sent to 23000 followers") == "push 12 sent to 23000 followers"
