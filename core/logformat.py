"""Log line formats, chosen by LOG_FORMAT in settings: "text" (readable, the default),
"keyvalue" (ts=… level=… logger=… request_id=… msg="…") or "json" (one object a line).

Every format puts a record on one line (a traceback too, its line breaks escaped), so
`grep request_id=<id>` or `jq 'select(.request_id == "<id>")'` finds all of one request.
The messages reach these formatters already masked by core.redaction.RedactFilter.
"""

import json
import logging
from datetime import UTC, datetime

TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def _fields(formatter: logging.Formatter, record: logging.LogRecord) -> dict[str, str]:
    fields = {
        "ts": _timestamp(record),
        "level": record.levelname,
        "logger": record.name,
        "request_id": getattr(record, "request_id", "-"),
        "msg": record.getMessage(),
    }
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    if record.exc_text:
        fields["exc"] = record.exc_text
    return fields


def _quoted(value: str) -> str:
    if value and not any(char in value for char in ' "=\\\n\r\t'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


class KeyValueFormatter(logging.Formatter):
    """ts=2026-05-01T08:00:00.000+00:00 level=INFO logger=wechat request_id=… msg="…" """

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(self, record)
        return " ".join(f"{key}={_quoted(str(value))}" for key, value in fields.items())


class JsonFormatter(logging.Formatter):
    """{"ts": …, "level": …, "logger": …, "request_id": …, "msg": …, "exc": …}"""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(self, record), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The readable default: time, level, logger, [request id], message (and a traceback)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", TEXT)
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return super().format(record)


FORMATTERS = {"text": TextFormatter, "keyvalue": KeyValueFormatter, "json": JsonFormatter}


def line_formatter(kind: str = "text") -> logging.Formatter:
    """The formatter LOG_FORMAT names (settings.LOGGING). Raises ValueError for another name."""
    try:
        return FORMATTERS[kind]()
    except KeyError:
        raise ValueError(
            f"LOG_FORMAT is {kind!r}: use one of {', '.join(sorted(FORMATTERS))}"
        ) from None
