"""`WeChatGateway`: the calls of drafts, mass, followers, stats, oauth and messages on one
transport, with the access token added to each call and refreshed once when WeChat refuses it."""

import logging
from collections.abc import Callable

from django.conf import settings

from .. import errors
from .custom import CustomMessagesAPI
from .drafts import DraftsAPI
from .followers import FollowersAPI
from .jssdk import JsSdkAPI
from .mass import MassSendAPI
from .menu import MenuAPI
from .messages import MessagesAPI
from .oauth import OAuthAPI
from .qrcode import QRCodeAPI
from .stats import StatsAPI
from .token import AccessTokenCache
from .transport import Transport

logger = logging.getLogger(__name__)


class WeChatGateway(
    DraftsAPI,
    MassSendAPI,
    FollowersAPI,
    StatsAPI,
    OAuthAPI,
    MessagesAPI,
    QRCodeAPI,
    MenuAPI,
    CustomMessagesAPI,
    JsSdkAPI,
):
    """The only code that talks to WeChat. Takes and returns plain data; raises wechat.errors.

    Every method may raise RetryableError (network, timeout, HTTP 5xx, dropped connection,
    -1/45009/45011/45066), TokenError (token refused after one refresh) and
    InvalidRequestError; the methods name the other errors they raise.
    An instance is cheap and safe to share between threads.
    """

    def __init__(
        self,
        *,
        app_id: str | None = None,
        app_secret: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        cache_alias: str = "default",
    ):
        self.app_id = app_id or settings.WECHAT_APP_ID
        self.app_secret = app_secret or settings.WECHAT_APP_SECRET
        self.base_url = (base_url or settings.WECHAT_API_BASE_URL).rstrip("/")
        self.timeout = timeout or settings.WECHAT_TIMEOUT
        self.transport = Transport(base_url=self.base_url, timeout=self.timeout)
        self.tokens = AccessTokenCache(
            app_id=self.app_id, fetch=self._fetch_token, cache_alias=cache_alias
        )

    def _fetch_token(self) -> tuple[str, int]:
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self.app_secret,
            "force_refresh": False,
        }
        try:
            data = self.transport.post("cgi-bin/stable_token", body=body)
        except errors.TokenError as exc:
            # On the token endpoint these codes mean a wrong AppSecret, not a stale token.
            raise errors.InvalidRequestError(40125, exc.errmsg) from exc
        logger.info("Fetched a WeChat access token for %s", self.app_id)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
        files: dict | None = None,
        parse: Callable[[dict], object] | None = None,
    ):
        """`parse(answer)` of one call with a valid token; on a token error refresh the token
        once (under the lock, unless another process already did) and retry once."""
        token = self.tokens.get()
        try:
            answer = self._send(method, path, token, params=params, body=body, files=files)
        except errors.TokenError:
            logger.info("WeChat refused the access token; refreshing it once")
            token = self.tokens.refresh(stale=token)
            answer = self._send(method, path, token, params=params, body=body, files=files)
        return self._parsed(answer, parse)

    def _send(self, method: str, path: str, token: str, *, params, body, files) -> dict:
        params = {**(params or {}), "access_token": token}
        return self.transport.request(method, path, params=params, body=body, files=files)

    @staticmethod
    def _parsed(answer: dict, parse: Callable[[dict], object] | None):
        if parse is None:
            return answer
        try:
            return parse(answer)
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InvalidRequestError(None, f"unexpected answer: {exc!r}") from exc
