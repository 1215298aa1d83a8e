"""Which URLs that arrive from WeChat are kept, and shown as links (CONTRACT.md §10.4, §3).

WeChat's article links are `https://mp.weixin.qq.com/s…` and its images live on
`mmbiz.qpic.cn`. A URL in a pushed event that is anything else (`javascript:`, `http:`, another
host, `https://mp.weixin.qq.com@evil.example`, backslashes, spaces or control characters) did
not come from WeChat: `wechat.callbacks` drops it before the event is stored, and the admin
renders a stored URL as a link only when it passes the same check, so rows stored before the
check existed are not clickable either.
"""

from urllib.parse import urlsplit

WECHAT_URL_HOSTS = frozenset({"mp.weixin.qq.com", "mmbiz.qpic.cn"})
# PushItem.article_url's length; WeChat's article links are a few hundred characters.
MAX_URL_LENGTH = 1024


def is_wechat_url(value) -> bool:
    """Whether `value` is an https URL on one of WeChat's own hosts, with nothing ambiguous.

    Strict on purpose: printable ASCII only, no backslash and no "@" anywhere (browsers and
    parsers disagree about both), no port, no user info, the host spelt exactly.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return False
    if not value.isascii() or not value.isprintable() or any(c in value for c in " \\@"):
        return False
    if not value.startswith("https://"):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.netloc in WECHAT_URL_HOSTS and parts.path[:1] in ("", "/")


def wechat_url_or_empty(value) -> str:
    """`value` when it is one of WeChat's URLs (see `is_wechat_url`), otherwise ""."""
    return value if is_wechat_url(value) else ""


# WeChat pushes the picture of a follower's image message as http://mmbiz.qpic.cn/… (as every
# sample on record shows); the host serves the same path over https.
_UPGRADED_HOSTS = ("http://mmbiz.qpic.cn/",)


def wechat_url_upgraded(value) -> str:
    """Like `wechat_url_or_empty`, but an http URL on WeChat's image host becomes its https
    form (then checked the same way); every other http URL is still refused."""
    if isinstance(value, str) and value.startswith(_UPGRADED_HOSTS):
        value = "https://" + value[len("http://") :]
    return wechat_url_or_empty(value)
