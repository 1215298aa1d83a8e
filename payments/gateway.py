"""The payments gateway: the only code that talks to WeChat Pay (API v3, CONTRACT.md §17).

Why a thin client over `requests` + `cryptography` and not wechatpayv3: wechatpayv3 2.0.4 has
no public option for the base URL (its gateway address is a private attribute) and calls
`requests` directly, so pointing it at the payment emulator, a test double or a proxy would mean
reaching into its private attributes or running every process behind an HTTPS proxy whose
certificate it must trust. It verifies the signature of 2xx answers only, and its notification
helper checks neither the timestamp's freshness nor the amount, appid and mchid against the
order, which we must do anyway. What remains is a signature over five lines, a signature check
over three and AES-GCM: about a hundred lines on `cryptography`'s public API (payments/crypto.py),
tested against an emulator written independently (payments_emulator/). The cost: we follow
WeChat Pay's API changes ourselves.

Takes and returns plain data (amounts in integer fen); raises payments.errors.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings

from . import crypto
from .errors import (
    ConfigurationError,
    InvalidPaymentRequestError,
    NotificationError,
    OrderNotFoundError,
    PaymentError,
    RetryablePaymentError,
    SignatureError,
)

DESCRIPTION_MAX_BYTES = 127
# STATEMENT_CREATING: a trade bill asked for before WeChat Pay has made it (try again later).
RETRYABLE_CODES = frozenset(
    {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR", "STATEMENT_CREATING"}
)
NOT_FOUND_CODES = frozenset({"ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS"})


@dataclass(frozen=True)
class PayConfig:
    mchid: str
    appid: str
    api_v3_key: str
    private_key_path: str
    serial_no: str
    platform_public_key_path: str
    platform_serial: str
    base_url: str
    timeout: float

    @classmethod
    def from_settings(cls) -> "PayConfig":
        return cls(
            mchid=settings.WECHATPAY_MCHID,
            appid=settings.WECHATPAY_APPID,
            api_v3_key=settings.WECHATPAY_API_V3_KEY,
            private_key_path=settings.WECHATPAY_PRIVATE_KEY_PATH,
            serial_no=settings.WECHATPAY_SERIAL_NO,
            platform_public_key_path=settings.WECHATPAY_PLATFORM_PUBLIC_KEY_PATH,
            platform_serial=settings.WECHATPAY_PLATFORM_SERIAL,
            base_url=settings.WECHATPAY_BASE_URL.rstrip("/"),
            timeout=settings.WECHATPAY_TIMEOUT,
        )


@dataclass(frozen=True)
class Transaction:
    """A payment as WeChat Pay reports it (a query's answer or a notification's resource)."""

    appid: str
    mchid: str
    out_trade_no: str
    transaction_id: str
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR
    total_fen: int | None
    payer_total_fen: int | None
    currency: str
    success_time: str
    openid: str

    @classmethod
    def from_json(cls, data: dict) -> "Transaction":
        amount = data.get("amount") or {}
        payer = data.get("payer") or {}
        return cls(
            appid=str(data.get("appid", "")),
            mchid=str(data.get("mchid", "")),
            out_trade_no=str(data.get("out_trade_no", "")),
            transaction_id=str(data.get("transaction_id", "") or ""),
            trade_state=str(data.get("trade_state", "")),
            total_fen=_int_or_none(amount.get("total")),
            payer_total_fen=_int_or_none(amount.get("payer_total")),
            currency=str(amount.get("currency", "")),
            success_time=str(data.get("success_time", "") or ""),
            openid=str(payer.get("openid", "") or ""),
        )


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification: `event_type` and its `resource` as JSON."""

    id: str
    event_type: str
    resource: dict


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class WeChatPayGateway:
    """Every WeChat Pay call the site makes. Settings WECHATPAY_* (or a PayConfig)."""

    def __init__(self, config: PayConfig | None = None, session: requests.Session | None = None):
        self.config = config or PayConfig.from_settings()
        self.session = session or requests.Session()

    # keys ---------------------------------------------------------------------------------
    def _private_key(self):
        try:
            return crypto.load_private_key(self.config.private_key_path)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"merchant private key unusable: {exc}") from exc

    def _platform_key(self):
        try:
            return crypto.load_public_key(self.config.platform_public_key_path)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"platform public key unusable: {exc}") from exc

    def _check_signed(self, headers, body: str) -> None:
        """Raises SignatureError unless `headers` carry the platform key's signature of `body`."""
        timestamp = headers.get("Wechatpay-Timestamp", "")
        nonce_str = headers.get("Wechatpay-Nonce", "")
        signature = headers.get("Wechatpay-Signature", "")
        serial = headers.get("Wechatpay-Serial", "")
        if self.config.platform_serial and serial != self.config.platform_serial:
            raise SignatureError(f"signed with another key: {serial[:64]}")
        message = crypto.answer_message(timestamp, nonce_str, body)
        if not crypto.verify(self._platform_key(), message, signature):
            raise SignatureError("bad signature")

    # transport ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, query: dict | None = None, payload=None):
        """(status, parsed JSON or None) of a signed call whose answer's signature verified."""
        if not self.config.mchid:
            raise ConfigurationError("WECHATPAY_MCHID is empty")
        if query:
            path = f"{path}?{urlencode(query)}"
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        headers = {
            "Accept": "application/json",
            "Authorization": crypto.authorization(
                private_key=self._private_key(),
                mchid=self.config.mchid,
                serial_no=self.config.serial_no,
                method=method,
                path=path,
                body=body,
            ),
            "User-Agent": "alumni-cms",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                self.config.base_url + path,
                data=body.encode() if body else None,
                headers=headers,
                timeout=self.config.timeout,
            )
        except requests.RequestException as exc:
            raise RetryablePaymentError(f"{method} {path}: {exc.__class__.__name__}") from exc
        text = response.content.decode("utf-8", errors="replace")
        if response.status_code >= 500:
            raise RetryablePaymentError(
                f"{method} {path}: HTTP {response.status_code}", status=response.status_code
            )
        # Every answer is signed, errors included; one that is not may be an impostor's.
        self._check_signed(response.headers, text)
        data = None
        if text.strip():
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise PaymentError(f"{method} {path}: not JSON") from exc
        if response.status_code >= 400:
            code = str((data or {}).get("code", ""))
            message = f"{method} {path}: {response.status_code} {code}"
            if code in RETRYABLE_CODES or response.status_code == 429:
                raise RetryablePaymentError(message, code=code, status=response.status_code)
            if code in NOT_FOUND_CODES or response.status_code == 404:
                raise OrderNotFoundError(message, code=code, status=response.status_code)
            raise InvalidPaymentRequestError(message, code=code, status=response.status_code)
        return response.status_code, data

    # orders -------------------------------------------------------------------------------
    def _order_body(self, *, out_trade_no, description, amount_fen, notify_url, time_expire):
        description = _truncate_bytes(description, DESCRIPTION_MAX_BYTES)
        body = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": int(amount_fen), "currency": "CNY"},
        }
        if time_expire is not None:
            body["time_expire"] = time_expire.isoformat(timespec="seconds")
        return body

    def jsapi_order(
        self,
        *,
        out_trade_no: str,
        description: str,
        amount_fen: int,
        openid: str,
        notify_url: str,
        time_expire: datetime | None = None,
    ) -> str:
        """Create a JSAPI order (inside WeChat); returns its prepay_id (valid two hours)."""
        body = self._order_body(
            out_trade_no=out_trade_no,
            description=description,
            amount_fen=amount_fen,
            notify_url=notify_url,
            time_expire=time_expire,
        )
        body["payer"] = {"openid": openid}
        _, data = self._call("POST", "/v3/pay/transactions/jsapi", payload=body)
        return str((data or {}).get("prepay_id", ""))

    def native_order(
        self,
        *,
        out_trade_no: str,
        description: str,
        amount_fen: int,
        notify_url: str,
        time_expire: datetime | None = None,
    ) -> str:
        """Create a Native order (scan to pay); returns the code_url to show as a QR code."""
        body = self._order_body(
            out_trade_no=out_trade_no,
            description=description,
            amount_fen=amount_fen,
            notify_url=notify_url,
            time_expire=time_expire,
        )
        _, data = self._call("POST", "/v3/pay/transactions/native", payload=body)
        return str((data or {}).get("code_url", ""))

    def jsapi_pay_params(self, prepay_id: str) -> dict:
        """What the page hands to WeixinJSBridge's getBrandWCPayRequest, signed (paySign)."""
        timestamp, nonce_str = str(int(time.time())), crypto.nonce()
        package = f"prepay_id={prepay_id}"
        message = f"{self.config.appid}\n{timestamp}\n{nonce_str}\n{package}\n"
        return {
            "appId": self.config.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": crypto.sign(self._private_key(), message),
        }

    def query_order(self, out_trade_no: str) -> Transaction:
        """The order's state at WeChat Pay. Raises OrderNotFoundError for an unknown order."""
        _, data = self._call(
            "GET",
            f"/v3/pay/transactions/out-trade-no/{out_trade_no}",
            query={"mchid": self.config.mchid},
        )
        return Transaction.from_json(data or {})

    def close_order(self, out_trade_no: str) -> None:
        """Close an unpaid order (204). Closing a closed one is harmless."""
        self._call(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            payload={"mchid": self.config.mchid},
        )

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
        notify_url: str,
    ) -> dict:
        """Ask for a refund; returns WeChat Pay's answer (`status` PROCESSING, SUCCESS…)."""
        _, data = self._call(
            "POST",
            "/v3/refund/domestic/refunds",
            payload={
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "reason": _truncate_bytes(reason, 80),
                "notify_url": notify_url,
                "amount": {"refund": int(refund_fen), "total": int(total_fen), "currency": "CNY"},
            },
        )
        return data or {}

    def trade_bill(self, bill_date: date) -> str:
        """The day's trade bill (CSV text), its SHA1 checked; "" for a day without payments or
        refunds (WeChat Pay has no bill then: NO_STATEMENT_EXIST). Raises RetryablePaymentError
        while the bill is being made (STATEMENT_CREATING), PaymentError on a SHA1 mismatch."""
        try:
            _, data = self._call(
                "GET",
                "/v3/bill/tradebill",
                query={"bill_date": bill_date.isoformat(), "bill_type": "ALL"},
            )
        except InvalidPaymentRequestError as exc:
            if exc.code == "NO_STATEMENT_EXIST":
                return ""
            raise
        data = data or {}
        url = urlsplit(str(data.get("download_url", "")))
        path = url.path + (f"?{url.query}" if url.query else "")
        content = self._download(path)
        if hashlib.sha1(content).hexdigest() != str(data.get("hash_value", "")).lower():
            raise PaymentError("the trade bill's SHA1 does not match")
        return content.decode("utf-8-sig")

    def _download(self, path: str) -> bytes:
        # The download answer is the file itself, not signed JSON (the bill's hash, given in the
        # signed answer above, vouches for it).
        headers = {
            "Authorization": crypto.authorization(
                private_key=self._private_key(),
                mchid=self.config.mchid,
                serial_no=self.config.serial_no,
                method="GET",
                path=path,
                body="",
            )
        }
        try:
            response = self.session.get(
                self.config.base_url + path, headers=headers, timeout=self.config.timeout
            )
        except requests.RequestException as exc:
            raise RetryablePaymentError(f"download: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise RetryablePaymentError(f"download: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise InvalidPaymentRequestError(f"download: HTTP {response.status_code}")
        return response.content

    # notifications ------------------------------------------------------------------------
    def parse_notification(self, *, headers, body: bytes, max_age: int, now=None) -> Notification:
        """Verify a notification and decrypt its resource. In this order: the timestamp within
        `max_age` seconds of now, the platform key's signature over the exact body, then
        AES-256-GCM with the APIv3 key. Raises NotificationError; the caller still compares the
        transaction's amount, appid and mchid with its order."""
        now = time.time() if now is None else now
        try:
            timestamp = int(headers.get("Wechatpay-Timestamp", ""))
        except ValueError as exc:
            raise NotificationError("no timestamp") from exc
        if abs(now - timestamp) > max_age:
            raise NotificationError("stale timestamp")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotificationError("not UTF-8") from exc
        try:
            self._check_signed(headers, text)
        except SignatureError as exc:
            raise NotificationError(str(exc)) from exc
        try:
            data = json.loads(text)
            resource = data["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError("algorithm")
            plain = crypto.decrypt_resource(
                api_v3_key=self.config.api_v3_key,
                nonce_str=str(resource["nonce"]),
                ciphertext=str(resource["ciphertext"]),
                associated_data=str(resource.get("associated_data", "")),
            )
            decoded = json.loads(plain)
            if not isinstance(decoded, dict):
                raise ValueError("resource")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationError("undecryptable or malformed") from exc
        return Notification(
            id=str(data.get("id", "")), event_type=str(data.get("event_type", "")), resource=decoded
        )


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")
