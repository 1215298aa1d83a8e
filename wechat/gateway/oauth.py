"""Web authorization (OAuth 2.0) for pages opened inside WeChat: the authorize URL a reader's
browser is sent to, and the exchange of the `code` WeChat sends back for the reader's openid.

Both are ours rather than wechatpy's `WeChatOAuth`: the URL is one documented format (WeChat
requires this parameter order) and the exchange is one GET, which `WeChatOAuth` makes without a
timeout unless its private `_request` is overridden. Here the exchange goes through the same
transport as every other call: same timeout, same error mapping.
"""

from urllib.parse import quote

from .transport import WECHAT_HOST

OAUTH_HOST = "https://open.weixin.qq.com"  # where a reader's browser is sent to authorise


class OAuthAPI:
    """The gateway's web-authorization calls (mixed into WeChatGateway)."""

    def oauth_authorize_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """Where to send a reader's browser so WeChat redirects it back to `redirect_uri` with a
        `code` (and `state`); snsapi_base asks the reader nothing and yields the openid."""
        # The emulator answers both hosts; real WeChat sends browsers to open.weixin.qq.com.
        host = OAUTH_HOST if self.base_url == WECHAT_HOST else self.base_url
        query = [
            f"appid={quote(self.app_id, safe='')}",
            f"redirect_uri={quote(redirect_uri, safe='')}",
            "response_type=code",
            f"scope={quote(scope, safe='')}",
        ]
        if state:
            query.append(f"state={quote(state, safe='')}")
        return f"{host}/connect/oauth2/authorize?{'&'.join(query)}#wechat_redirect"

    def oauth_openid(self, code: str) -> str:
        """The openid of the reader a web-authorization `code` was issued to (each code works
        once, for 5 minutes). Raises InvalidRequestError (40029 invalid or used code, 40163
        code already used) or RetryableError."""
        params = {
            "appid": self.app_id,
            "secret": self.app_secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        answer = self.transport.get("sns/oauth2/access_token", params=params)
        return self._parsed(answer, lambda r: str(r["openid"]))
