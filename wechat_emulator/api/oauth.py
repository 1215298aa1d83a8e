"""Web authorization: connect/oauth2/authorize and sns/oauth2/access_token."""

import secrets
from urllib.parse import urlencode

from .common import ApiError, openid_for


class OAuthApi:
    """The reader's browser is sent back with a one-time code, exchanged for the openid.

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    OAUTH_AUTHORIZE_PATH = "connect/oauth2/authorize"
    OAUTH_SCOPES = ("snsapi_base", "snsapi_userinfo")

    def oauth_authorize(self, query: dict) -> tuple[int, str | dict]:
        """The reader's browser at connect/oauth2/authorize: (302, where WeChat redirects it,
        with a one-time `code` for config.oauth_openid and the `state`), or (400, an error)."""
        with self.lock:
            if query.get("appid") != self.config.app_id:
                return 400, {"errcode": 40013, "errmsg": "invalid appid"}
            redirect_uri = query.get("redirect_uri", "")
            if not redirect_uri.startswith(("http://", "https://")):
                return 400, {"errcode": 10003, "errmsg": "redirect_uri mismatch"}
            if query.get("response_type") != "code" or query.get("scope") not in self.OAUTH_SCOPES:
                return 400, {"errcode": 10005, "errmsg": "invalid scope or response_type"}
            openid = self.config.oauth_openid or openid_for(0)
            code = "EMUCODE" + secrets.token_hex(16)
            self.oauth_codes[code] = {
                "openid": openid,
                "scope": query["scope"],
                "expires_at": self.now() + self.config.oauth_code_ttl,
                "used": False,
            }
            params = urlencode({"code": code, "state": query.get("state", "")})
            separator = "&" if "?" in redirect_uri else "?"
            return 302, f"{redirect_uri}{separator}{params}"

    def _oauth_access_token(self, request: dict) -> dict:
        q = request["query"]
        if q.get("appid") != self.config.app_id:
            raise ApiError(40013, "invalid appid")
        if q.get("secret") != self.config.app_secret:
            raise ApiError(40125, "invalid appsecret")
        if q.get("grant_type") != "authorization_code":
            raise ApiError(40002, "invalid grant_type")
        info = self.oauth_codes.get(q.get("code") or "")
        if info is None or info["expires_at"] <= self.now():
            raise ApiError(40029, "invalid code")
        if info["used"]:
            raise ApiError(40163, "code been used")
        info["used"] = True
        return {
            "access_token": "EMUOAUTH" + secrets.token_urlsafe(48),
            "expires_in": 7200,
            "refresh_token": "EMUREFRESH" + secrets.token_urlsafe(48),
            "openid": info["openid"],
            "scope": info["scope"],
        }
