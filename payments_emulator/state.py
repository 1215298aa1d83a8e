"""The emulated merchant account at WeChat Pay: orders, payments, notifications, refunds, bills.

`PayEmulatorState.handle()` takes one API request and returns (status, JSON or None); server.py
signs the answer and does the HTTP. The checks follow CONTRACT.md §17; what the contract leaves
open is marked [unconfirmed] in payments/README.md. Written with `cryptography` directly, not with
payments.crypto, so the site's client is checked against an independent implementation.
"""

import base64
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emulator_kit import Background, write_json_atomically
from payments.constants import (
    MERCHANT_PUBLIC_KEY_FILE,
    PLATFORM_PRIVATE_KEY_FILE,
)

from .config import PayEmulatorConfig, PayFaults
from .keys import ensure_keys, load_private, load_public

logger = logging.getLogger(__name__)

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_*|-]{6,32}")
AUTH = re.compile(r'(\w+)="([^"]*)"')
ORDER_PATH = re.compile(r"/v3/pay/transactions/out-trade-no/([^/]+)$")
CLOSE_PATH = re.compile(r"/v3/pay/transactions/out-trade-no/([^/]+)/close$")
BILL_COLUMNS = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class PayEmulatorState:
    """The merchant account's data and the API logic over it.

    `state_file`: a JSON file the orders, refunds and notification log are kept in across
    restarts (`manage.py wechatpay_emulator` passes DATA_DIR/wechatpay-emulator.json), written
    after every change and read on start. Not kept: the config (settings give it each start),
    faults, and trade bills (a download_url is short-lived at WeChat Pay too).
    """

    def __init__(
        self,
        config: PayEmulatorConfig | None = None,
        *,
        key_dir: str | Path,
        state_file: str | Path | None = None,
    ):
        self.base_config = config or PayEmulatorConfig()
        self.state_file = Path(state_file) if state_file else None
        self.key_dir = ensure_keys(key_dir)
        self.merchant_public = load_public(self.key_dir, MERCHANT_PUBLIC_KEY_FILE)
        self.platform_private = load_private(self.key_dir, PLATFORM_PRIVATE_KEY_FILE)
        self.lock = threading.RLock()
        self.base_url = ""
        self._generation = 0
        self._cancelled = threading.Event()  # set by reset(): pending deliveries stop waiting
        self.background = Background()  # notification deliveries, for settle()
        self._clear()
        if self.state_file and self.state_file.exists():
            self._load()

    # control ------------------------------------------------------------------------------
    def reset(self, **config_changes) -> None:
        """Forget every order; start again from the base config with `config_changes`."""
        with self.lock:
            self._clear(**config_changes)
            self._save()

    def _clear(self, **config_changes) -> None:
        with self.lock:
            self._generation += 1
            self._cancelled.set()
            self._cancelled = threading.Event()
            self.config = self.base_config.updated(**config_changes)
            self.faults = PayFaults()
            self.orders: dict[str, dict] = {}
            self.tokens: dict[str, str] = {}  # prepay_id / code token -> out_trade_no
            self.refunds: dict[str, dict] = {}
            self.bills: dict[str, bytes] = {}
            self.notifications: list[dict] = []

    def close(self) -> None:
        """The emulator stops: deliveries still waiting are dropped (and those of a restarted
        emulator on the same state file take over), the state file is kept."""
        with self.lock:
            self._generation += 1
            self._cancelled.set()
        self.settle(timeout=5.0)

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until no notification is being delivered; True when idle.

        Call after reset() to stop the waiting ones: a delivery's POST returns once the site has
        handled it, so afterwards nothing the emulator started still writes to the site's database.
        """
        return self.background.settle(timeout)

    def _save(self) -> None:
        """Write the orders, tokens, refunds and notification log (call with the lock held)."""
        if not self.state_file:
            return
        data = {
            "orders": self.orders,
            "tokens": self.tokens,
            "refunds": self.refunds,
            "notifications": self.notifications,
        }
        write_json_atomically(self.state_file, data)

    def _load(self) -> None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            orders, tokens = dict(data["orders"]), dict(data["tokens"])
            refunds, notifications = dict(data["refunds"]), list(data["notifications"])
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("Ignoring unreadable payment emulator state file %s", self.state_file)
            return
        with self.lock:
            self.orders, self.tokens = orders, tokens
            self.refunds, self.notifications = refunds, notifications
            # WeChat Pay goes on retrying a notification the site has not acknowledged; so does
            # the emulator after a restart, from the start of its schedule.
            for entry in self.notifications:
                if entry.get("lost") or "resource" not in entry:
                    continue
                if any(a.get("status") in (200, 204) for a in entry.get("attempts", [])):
                    continue
                self._send(entry)

    def configure(self, **changes) -> None:
        with self.lock:
            self.config = self.config.updated(**changes)

    def set_faults(self, **faults) -> None:
        with self.lock:
            self.faults = PayFaults.from_dict(faults)

    def snapshot(self) -> dict:
        with self.lock:
            return json.loads(
                json.dumps(
                    {
                        "config": self.config.public(),
                        "faults": self.faults.as_dict(),
                        "orders": self.orders,
                        "refunds": self.refunds,
                        "notifications": self.notifications,
                    },
                    default=str,
                )
            )

    # signing ------------------------------------------------------------------------------
    def sign(self, message: str) -> str:
        raw = self.platform_private.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def signed_headers(self, body: str, *, bad: bool = False) -> dict:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        signature = self.sign(f"{timestamp}\n{nonce}\n{body}\n")
        if bad:
            # A well-formed signature of something else: only a real check notices.
            signature = self.sign(f"{timestamp}\n{nonce}\n{body} \n")
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.config.platform_serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def check_authorization(self, method: str, path: str, header: str, body: str) -> None:
        """Raises ApiError(401, SIGN_ERROR) unless the merchant signed this exact request."""
        schema, _, rest = header.partition(" ")
        fields = dict(AUTH.findall(rest))
        if schema != "WECHATPAY2-SHA256-RSA2048":
            raise ApiError(401, "SIGN_ERROR", "Authorization schema")
        if fields.get("mchid") != self.config.mchid:
            raise ApiError(401, "SIGN_ERROR", "mchid in Authorization is not this merchant")
        try:
            timestamp = int(fields.get("timestamp", ""))
        except ValueError:
            raise ApiError(401, "SIGN_ERROR", "timestamp") from None
        if abs(time.time() - timestamp) > self.config.request_max_age:
            raise ApiError(401, "SIGN_ERROR", "timestamp expired")
        message = f"{method}\n{path}\n{timestamp}\n{fields.get('nonce_str', '')}\n{body}\n"
        try:
            self.merchant_public.verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            raise ApiError(401, "SIGN_ERROR", "signature does not verify") from None

    def api_fault(self, path: str) -> int | None:
        with self.lock:
            faults = self.faults
            if not faults.http_status or faults.times <= 0:
                return None
            if faults.paths and not any(path.startswith(p) for p in faults.paths):
                return None
            faults.times -= 1
            return faults.http_status

    # routing ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, body: str) -> tuple[int, dict | None]:
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return 400, {"code": "PARAM_ERROR", "message": "body is not JSON"}
        try:
            with self.lock:
                return self._route(method, path, query, data)
        except ApiError as exc:
            return exc.status, {"code": exc.code, "message": exc.message}

    def _route(self, method, path, query, data):
        if method == "POST" and path in (
            "/v3/pay/transactions/jsapi",
            "/v3/pay/transactions/native",
        ):
            return self._create(path.rsplit("/", 1)[1].upper(), data)
        if method == "POST" and (m := CLOSE_PATH.match(path)):
            return self._close(m.group(1), data)
        if method == "GET" and (m := ORDER_PATH.match(path)):
            if query.get("mchid") != self.config.mchid:
                raise ApiError(400, "PARAM_ERROR", "mchid")
            return 200, self._transaction(self._order(m.group(1)))
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(data)
        if method == "GET" and path == "/v3/bill/tradebill":
            return self._trade_bill(query)
        raise ApiError(404, "NOT_FOUND", f"no API {method} {path}")

    def _order(self, out_trade_no: str) -> dict:
        order = self.orders.get(out_trade_no)
        if order is None:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def _create(self, trade_type: str, data: dict):
        required = ["appid", "mchid", "description", "out_trade_no", "notify_url", "amount"]
        if trade_type == "JSAPI":
            required.append("payer")
        missing = [name for name in required if not data.get(name)]
        if missing:
            raise ApiError(400, "PARAM_ERROR", f"missing {missing}")
        if data["mchid"] != self.config.mchid:
            raise ApiError(400, "PARAM_ERROR", "mchid")
        if data["appid"] != self.config.appid:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if len(str(data["description"]).encode()) > 127:
            raise ApiError(400, "PARAM_ERROR", "description longer than 127 bytes")
        if not OUT_TRADE_NO.fullmatch(str(data["out_trade_no"])):
            raise ApiError(400, "PARAM_ERROR", "out_trade_no")
        amount = data["amount"]
        total = amount.get("total") if isinstance(amount, dict) else None
        if not isinstance(total, int) or isinstance(total, bool) or total < 1:
            raise ApiError(400, "PARAM_ERROR", "amount.total must be a positive integer (fen)")
        if amount.get("currency", "CNY") != "CNY":
            raise ApiError(400, "PARAM_ERROR", "currency")
        openid = ""
        if trade_type == "JSAPI":
            openid = str((data.get("payer") or {}).get("openid", ""))
            if not openid:
                raise ApiError(400, "PARAM_ERROR", "payer.openid")
        no = data["out_trade_no"]
        existing = self.orders.get(no)
        fingerprint = [trade_type, total, data["description"], data["notify_url"], openid]
        if existing is not None:
            # [unconfirmed] the same order again answers the same prepay_id / code_url; other
            # parameters under the same number are refused.
            if existing["fingerprint"] != fingerprint:
                raise ApiError(400, "INVALID_REQUEST", "201 商户订单号重复")
            if existing["trade_state"] == "SUCCESS":
                raise ApiError(400, "ORDER_PAID", "该订单已支付")
            return 200, existing["answer"]
        token = secrets.token_urlsafe(12)
        if trade_type == "JSAPI":
            answer = {"prepay_id": f"wx{token}"}
            self.tokens[answer["prepay_id"]] = no
        else:
            answer = {"code_url": f"weixin://wxpay/bizpayurl?pr={token}"}
            self.tokens[token] = no
        self.orders[no] = {
            "out_trade_no": no,
            "trade_type": trade_type,
            "fingerprint": fingerprint,
            "answer": answer,
            "appid": data["appid"],
            "mchid": data["mchid"],
            "description": data["description"],
            "notify_url": data["notify_url"],
            "total": total,
            "openid": openid,
            "trade_state": "NOTPAY",
            "transaction_id": "",
            "success_time": "",
            "refunded": 0,
            "created": time.time(),
        }
        self._save()
        return 200, answer

    def _transaction(self, order: dict) -> dict:
        answer = {
            "appid": order["appid"],
            "mchid": order["mchid"],
            "out_trade_no": order["out_trade_no"],
            "trade_state": order["trade_state"],
            "trade_state_desc": order["trade_state"],
            "trade_type": order["trade_type"],
            "amount": {"total": order["total"], "currency": "CNY"},
        }
        if order["transaction_id"]:
            answer.update(
                transaction_id=order["transaction_id"],
                success_time=order["success_time"],
                bank_type="OTHERS",
                payer={"openid": order["openid"]},
            )
            answer["amount"].update(payer_total=order["total"], payer_currency="CNY")
        return answer

    def _close(self, out_trade_no: str, data: dict):
        if data.get("mchid") != self.config.mchid:
            raise ApiError(400, "PARAM_ERROR", "mchid")
        order = self._order(out_trade_no)
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            raise ApiError(400, "ORDER_PAID", "订单已支付")
        order["trade_state"] = "CLOSED"
        self._save()
        return 204, None

    def _refund(self, data: dict):
        order = self._order(str(data.get("out_trade_no", "")))
        amount = data.get("amount") or {}
        refund, total = amount.get("refund"), amount.get("total")
        out_refund_no = str(data.get("out_refund_no", ""))
        if not out_refund_no:
            raise ApiError(400, "PARAM_ERROR", "out_refund_no")
        if out_refund_no in self.refunds:
            return 200, self.refunds[out_refund_no]["answer"]
        if order["trade_state"] not in ("SUCCESS", "REFUND"):
            raise ApiError(403, "NOT_ENOUGH", "订单未支付")  # [unconfirmed] code for unpaid
        if total != order["total"]:
            raise ApiError(400, "PARAM_ERROR", "amount.total is not the order's")
        if not isinstance(refund, int) or refund < 1 or refund > order["total"] - order["refunded"]:
            raise ApiError(403, "NOT_ENOUGH", "退款金额超过可退金额")
        order["refunded"] += refund
        order["trade_state"] = "REFUND"
        answer = {
            "refund_id": f"50{secrets.randbelow(10**26):026d}",
            "out_refund_no": out_refund_no,
            "out_trade_no": order["out_trade_no"],
            "transaction_id": order["transaction_id"],
            "status": "PROCESSING",
            "amount": {"refund": refund, "total": total, "currency": "CNY"},
        }
        self.refunds[out_refund_no] = {
            "answer": answer,
            "notify_url": data.get("notify_url"),
            "created": datetime.now(ZoneInfo(self.config.timezone)).isoformat(timespec="seconds"),
        }
        if data.get("notify_url"):
            done = dict(answer, status="SUCCESS", refund_status="SUCCESS", mchid=order["mchid"])
            self._notify(data["notify_url"], "REFUND.SUCCESS", "refund", done)
        self._save()
        return 200, answer

    def _trade_bill(self, query: dict):
        try:
            day = date.fromisoformat(query.get("bill_date", ""))
        except ValueError:
            raise ApiError(400, "PARAM_ERROR", "bill_date") from None
        if self.faults.statement_creating > 0:
            self.faults.statement_creating -= 1
            raise ApiError(400, "STATEMENT_CREATING", "账单生成中")
        zone = ZoneInfo(self.config.timezone)

        def local(moment: str) -> datetime:
            return datetime.fromisoformat(moment).astimezone(zone)

        lines = [BILL_COLUMNS]
        count = total = refund_total = 0
        for order in self.orders.values():
            if not order["transaction_id"] or local(order["success_time"]).date() != day:
                continue
            count += 1
            total += order["total"]
            lines.append(self._bill_line(order, local(order["success_time"])))
        # A refund is a line of the day it was made, repeating its order's columns.
        for out_refund_no, refund in self.refunds.items():
            answer = refund["answer"]
            order = self.orders[answer["out_trade_no"]]
            made = local(refund.get("created") or order["success_time"])
            if made.date() != day:
                continue
            refund_total += answer["amount"]["refund"]
            lines.append(self._bill_line(order, made, refund=(out_refund_no, answer)))
        if len(lines) == 1:
            # WeChat Pay's FAQ: no payment and no refund that day, no bill.
            raise ApiError(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在")
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        totals = (count, _yuan(total), _yuan(refund_total), "0.00", "0.00", _yuan(total),
                  _yuan(refund_total))  # fmt: skip
        lines.append(",".join(f"`{v}" for v in totals))
        content = ("\n".join(lines) + "\n").encode()
        token = secrets.token_urlsafe(12)
        self.bills[token] = content
        return 200, {
            "download_url": f"{self.base_url}/v3/billdownload/file?token={token}",
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(content).hexdigest(),
        }

    @staticmethod
    def _bill_line(order: dict, moment: datetime, refund: tuple | None = None) -> str:
        values = [
            moment.strftime("%Y-%m-%d %H:%M:%S"), order["appid"], order["mchid"], "0", "",
            order["transaction_id"], order["out_trade_no"], order["openid"],
            order["trade_type"], "SUCCESS", "OTHERS", "CNY", _yuan(order["total"]), "0.00",
            "0", "0", "0.00", "0.00", "", "", order["description"], "", "0.00", "0.60%",
            _yuan(order["total"]), "0.00", "",
        ]  # fmt: skip
        if refund:
            out_refund_no, answer = refund
            values[9] = "REFUND"
            values[14], values[15] = answer["refund_id"], out_refund_no
            values[16] = values[25] = _yuan(answer["amount"]["refund"])
            values[18], values[19] = "ORIGINAL", "SUCCESS"
        return ",".join(f"`{v}" for v in values)

    def bill_file(self, token: str) -> bytes | None:
        with self.lock:
            return self.bills.get(token)

    # paying -------------------------------------------------------------------------------
    def order_for_token(self, token: str) -> dict | None:
        with self.lock:
            no = self.tokens.get(token) or (token if token in self.orders else None)
            return dict(self.orders[no]) if no else None

    def pay(self, token: str) -> dict:
        """The payer confirms: the order is paid and its notification scheduled.
        Accepts a prepay_id, a code_url's token or an out_trade_no. Raises KeyError, ValueError."""
        with self.lock:
            no = self.tokens.get(token) or (token if token in self.orders else None)
            if no is None:
                raise KeyError(token)
            order = self.orders[no]
            if order["trade_state"] == "CLOSED":
                raise ValueError("the order is closed")
            if order["trade_state"] == "NOTPAY":
                zone = ZoneInfo(self.config.timezone)
                order.update(
                    trade_state="SUCCESS",
                    transaction_id=f"4200{secrets.randbelow(10**24):024d}",
                    success_time=datetime.now(zone).isoformat(timespec="seconds"),
                    openid=order["openid"] or self.config.payer_openid,
                )
                self._notify(
                    order["notify_url"], "TRANSACTION.SUCCESS", "transaction",
                    self._transaction(order),
                )  # fmt: skip
                self._save()
            return dict(order)

    # notifications ------------------------------------------------------------------------
    def encrypt(self, plaintext: dict, associated_data: str) -> dict:
        nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay's
        ciphertext = AESGCM(self.config.api_v3_key.encode()).encrypt(
            nonce.encode(), json.dumps(plaintext, ensure_ascii=False).encode(),
            associated_data.encode(),
        )  # fmt: skip
        return {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated_data,
            "nonce": nonce,
        }

    def notification_body(self, event_type: str, resource_type: str, resource: dict) -> str:
        resource_data = self.encrypt(resource, resource_type)
        resource_data["original_type"] = resource_type
        return json.dumps(
            {
                "id": secrets.token_hex(16),
                "create_time": datetime.now(ZoneInfo(self.config.timezone)).isoformat(
                    timespec="seconds"
                ),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功" if event_type == "TRANSACTION.SUCCESS" else "退款状态",
                "resource": resource_data,
            },
            ensure_ascii=False,
        )

    def _notify(self, url: str, event_type: str, resource_type: str, resource: dict) -> None:
        entry = {
            "event_type": event_type,
            "out_trade_no": resource.get("out_trade_no"),
            "url": url,
            "attempts": [],
            "lost": False,
            # kept (decrypted) so that a restarted emulator can send it again
            "resource_type": resource_type,
            "resource": resource,
        }
        self.notifications.append(entry)
        if self.faults.lose_notifications > 0:
            self.faults.lose_notifications -= 1
            entry["lost"] = True
            return
        self._send(entry)

    def _send(self, entry: dict) -> None:
        """Start delivering `entry` (with its retries and the faults now on) in a thread."""
        faults = self.faults
        url = entry["url"]
        body = self.notification_body(
            entry["event_type"], entry["resource_type"], entry["resource"]
        )
        copies = 1 + max(0, faults.duplicate_notifications)
        delay = self.config.notify_delay + faults.notify_delay
        bad = faults.bad_signature
        generation = self._generation
        cancelled = self._cancelled
        # The copies follow one another (each delivered, with its retries, before the next), as
        # WeChat Pay's repeats do; simultaneous deliveries are the PostgreSQL tests' business.
        self.background.run(
            self._deliver_copies, copies, url, body, entry, delay, bad, generation, cancelled
        )

    def _deliver_copies(self, copies, url, body, entry, delay, bad, generation, cancelled) -> None:
        for _ in range(copies):
            self._deliver(url, body, entry, delay, bad, generation, cancelled)

    def _deliver(self, url, body, entry, delay, bad, generation, cancelled) -> None:
        waits = [delay, *self.config.notify_retries]
        for wait in waits:
            if cancelled.wait(wait) or generation != self._generation:
                return  # reset meanwhile
            headers = {"Content-Type": "application/json", **self.signed_headers(body, bad=bad)}
            request = urllib.request.Request(
                url, data=body.encode(), headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.config.notify_timeout) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, OSError) as exc:
                status = f"error: {exc.__class__.__name__}"
            with self.lock:
                entry["attempts"].append({"at": time.time(), "status": status})
                if generation == self._generation:
                    self._save()
            if status in (200, 204):
                return
