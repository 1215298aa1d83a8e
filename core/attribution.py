"""Which push or QR channel led a visitor to a page: the `?src=` a link carries.

"push:<push id>" for a WeChat push's "阅读原文" link, "qr:<scene>" for a channel QR code's give
link. Anything else is dropped (a link passes on, and an order records, only a valid source).
"""

import re
from urllib.parse import urlencode, urlsplit, urlunsplit

SOURCE = re.compile(r"(push:\d{1,10}|qr:[A-Za-z0-9_-]{1,64})")
SOURCE_MAX_LENGTH = 67  # "qr:" and a 64-character scene


def clean_source(value) -> str:
    """`value` if it is a valid source, else ""."""
    value = value if isinstance(value, str) else ""
    return value if SOURCE.fullmatch(value) else ""


def with_source(url: str, source: str) -> str:
    """`url` with `?src=<source>` (replacing any src it had); `url` itself for no valid source."""
    source = clean_source(source)
    if not source:
        return url
    parts = urlsplit(url)
    query = [p for p in parts.query.split("&") if p and not p.startswith("src=")]
    query.append(urlencode({"src": source}, safe=":"))
    return urlunsplit(parts._replace(query="&".join(query)))
