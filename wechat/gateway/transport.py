"""HTTP to WeChat: one `requests` session, a timeout on every call, answers as dicts.

Every failure leaves as a `wechat.errors` exception, mapped here once:

- no answer (network error, timeout, connection dropped): RetryableError, WeChat may have acted;
- HTTP 5xx or an answer that is not a JSON object: RetryableError;
- HTTP 4xx: InvalidRequestError;
- `errcode` other than 0 (WeChat answers errors with HTTP 200): `errors.error_for`, carrying
  the answer's other fields (45065 brings the earlier send's `msg_id`).
"""

import json

import requests

from .. import errors

WECHAT_HOST = "https://api.weixin.qq.com"


class Transport:
    """Calls `<base_url>/<path>` and returns WeChat's JSON answer. Safe to share between threads
    as the gateway shares it (one connection pool per gateway)."""

    def __init__(self, *, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def get(self, path: str, *, params: dict | None = None) -> dict:
        return self.request("GET", path, params=params)

    def post(
        self,
        path: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
        files: dict | None = None,
    ) -> dict:
        return self.request("POST", path, params=params, body=body, files=files)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
        files: dict | None = None,
    ) -> dict:
        """One call; `body` is sent as JSON, `files` as multipart. Raises WeChatError."""
        # Raw UTF-8: WeChat does not decode \uXXXX escapes (40033, or literal text in articles).
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        try:
            response = self.session.request(
                method,
                f"{self.base_url}/{path}",
                params=params,
                data=data,
                files=files,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise errors.RetryableError(None, f"network: {exc}") from exc
        if response.status_code >= 500:
            raise errors.RetryableError(None, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise errors.InvalidRequestError(None, f"HTTP {response.status_code}")
        try:
            # Lenient as WeChat's own SDKs are: article bodies may carry control characters.
            result = json.loads(response.content.decode("utf-8", "ignore"), strict=False)
        except ValueError as exc:
            raise errors.RetryableError(None, f"WeChat answered no JSON ({path})") from exc
        if not isinstance(result, dict):
            raise errors.RetryableError(None, f"WeChat answered no JSON object ({path})")
        raise_for_errcode(result)
        return result


def raise_for_errcode(result: dict) -> None:
    """Raise the wechat.errors exception for an answer whose errcode is not 0."""
    try:
        errcode = int(result.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        errcode = -1
    if errcode != 0:
        extra = {k: v for k, v in result.items() if k not in ("errcode", "errmsg")}
        raise errors.error_for(errcode, str(result.get("errmsg", "")), **extra)
