"""Access tokens: cgi-bin/token and cgi-bin/stable_token, and the check every call makes."""

import secrets

from .common import ApiError


class TokenApi:
    """Issues, checks and retires access tokens (CONTRACT.md §2).

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise ApiError(41001, "access_token missing")
        info = self.tokens.get(token)
        if info is None:
            raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
        if info["expires_at"] <= self.now():
            raise ApiError(42001, "access_token expired")

    def _check_credentials(self, grant_type, appid, secret) -> None:
        if grant_type != "client_credential":
            raise ApiError(40002, "invalid grant_type")
        if not appid:
            raise ApiError(41002, "appid missing")
        if appid != self.config.app_id:
            raise ApiError(40013, "invalid appid")
        if not secret:
            raise ApiError(41004, "appsecret missing")
        if secret != self.config.app_secret:
            raise ApiError(40125, "invalid appsecret")

    def _issue(self, kind: str) -> str:
        token = "EMU" + secrets.token_urlsafe(96)
        self.tokens[token] = {"kind": kind, "expires_at": self.now() + self.config.token_ttl}
        # Forget long-dead tokens so the table stays small.
        dead = [k for k, v in self.tokens.items() if v["expires_at"] < self.now() - 86400]
        for key in dead:
            del self.tokens[key]
        return token

    def _token(self, request: dict) -> dict:
        q = request["query"]
        self._check_credentials(q.get("grant_type"), q.get("appid"), q.get("secret"))
        old = self.tokens.get(self.cgi_token)
        if old:
            old["expires_at"] = min(old["expires_at"], self.now() + self.config.old_token_grace)
        self.cgi_token = self._issue("token")
        return {"access_token": self.cgi_token, "expires_in": self.config.token_ttl}

    def _stable_token(self, request: dict) -> dict:
        data = request["json"]
        self._check_credentials(data.get("grant_type"), data.get("appid"), data.get("secret"))
        current = self.tokens.get(self.stable_token)
        rollover = min(300, self.config.token_ttl // 2)
        if data.get("force_refresh"):
            if current:
                current["expires_at"] = self.now() - 1
            current = None
        if current and current["expires_at"] - self.now() > rollover:
            remaining = int(current["expires_at"] - self.now())
            return {"access_token": self.stable_token, "expires_in": remaining}
        self.stable_token = self._issue("stable")
        return {"access_token": self.stable_token, "expires_in": self.config.token_ttl}
