"""The JS-SDK's page signature (wx.config), for WeChat's open tags such as wx-open-subscribe
(the opt-in button of subscription notifications, CONTRACT.md §16).

The jsapi_ticket (`GET cgi-bin/ticket/getticket?type=jsapi`, valid 7200 s, a daily call quota
like the access token's) is kept in the Django cache and shared by every process.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.core.cache import caches

# Renewed this long before WeChat retires it.
TICKET_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class JsSdkConfig:
    """What wx.config takes for one page URL (without its #fragment)."""

    app_id: str
    timestamp: int
    nonce_str: str
    signature: str


def jsapi_signature(*, ticket: str, nonce_str: str, timestamp: int, url: str) -> str:
    """sha1 of "jsapi_ticket=…&noncestr=…&timestamp=…&url=…" (keys sorted), lowercase hex."""
    text = f"jsapi_ticket={ticket}&noncestr={nonce_str}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(text.encode()).hexdigest()


class JsSdkAPI:
    """The gateway's JS-SDK calls (mixed into WeChatGateway)."""

    def jsapi_ticket(self) -> str:
        """The account's jsapi_ticket, from the cache or fetched (and cached) now. Raises the
        gateway's errors."""
        cache = caches[self.tokens.cache_alias]
        key = f"wechat:jsapi_ticket:{self.app_id}"
        ticket = cache.get(key)
        if ticket:
            return ticket
        answer = self._call("GET", "cgi-bin/ticket/getticket", params={"type": "jsapi"})
        ticket = str(answer["ticket"])
        lifetime = int(answer.get("expires_in", 7200)) - TICKET_MARGIN_SECONDS
        cache.set(key, ticket, timeout=max(60, lifetime))
        return ticket

    def jsapi_config(self, url: str) -> JsSdkConfig:
        """wx.config's values for the page at `url` (its fragment removed)."""
        url = url.split("#", 1)[0]
        timestamp = int(time.time())
        nonce_str = secrets.token_hex(8)
        signature = jsapi_signature(
            ticket=self.jsapi_ticket(), nonce_str=nonce_str, timestamp=timestamp, url=url
        )
        return JsSdkConfig(self.app_id, timestamp, nonce_str, signature)
