"""The payment emulator's HTTP server: WeChat Pay's API paths, the payer's page, control paths.

    POST /v3/pay/transactions/jsapi | native        create an order (signed request)
    GET  /v3/pay/transactions/out-trade-no/{no}?mchid=    query
    POST /v3/pay/transactions/out-trade-no/{no}/close     close (204)
    POST /v3/refund/domestic/refunds                 refund (REFUND.SUCCESS notified)
    GET  /v3/bill/tradebill?bill_date=&bill_type=ALL  trade bill → download_url
    GET  /v3/billdownload/file?token=                the bill's CSV
    GET  /pay/{prepay_id | code token}[?return=URL]  the payer's page (stand-in for WeChat's)
    POST /pay/{…}                                    "pay": paid, notification sent, back to return

Control (JSON): GET /_emulator/state, POST /_emulator/reset (config changes), /_emulator/faults
(PayFaults), /_emulator/config, /_emulator/pay {"token"}.
Every API answer is signed with the platform key; every API request must carry the merchant's
signature (401 SIGN_ERROR otherwise).
"""

import html
import json
from pathlib import Path

from emulator_kit import EmulatorHandler, EmulatorServerBase, control

from .config import PayEmulatorConfig
from .state import ApiError, PayEmulatorState

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:0;background:#ededed}}main{{max-width:420px;
margin:0 auto;padding:32px 20px;text-align:center}}.amount{{font-size:36px;font-weight:bold;
margin:16px 0}}button,a.btn{{display:block;width:100%;padding:14px;border:0;border-radius:8px;
background:#07c160;color:#fff;font-size:18px;text-decoration:none}}.note{{color:#888;
font-size:13px;margin-top:24px}}</style></head><body><main>
<p>{merchant}</p><h1>{title}</h1>{content}
<p class="note">微信支付模拟器（开发测试用，不会扣款）</p></main></body></html>"""


class _Handler(EmulatorHandler):
    server_version = "WeChatPayEmulator/1.0"

    def too_large(self) -> None:
        self._json(413, {"code": "PARAM_ERROR", "message": "too large"}, signed=False)

    def failed(self) -> None:
        self._json(500, {"code": "SYSTEM_ERROR", "message": "emulator error"}, signed=False)

    def respond(self, method, url, query, raw) -> None:
        state = self.server.emulator.state
        if url.path.startswith("/_emulator/"):
            status, answer = _control(state, method, url.path, raw)
            self._json(status, answer, signed=False)
        elif url.path.startswith("/pay/"):
            self._pay_page(method, url.path.removeprefix("/pay/"), query)
        elif url.path == "/favicon.ico":
            # The browser asks for it on the payer's page: no icon, rather than an API's 401
            # (a console error on every payment).
            self._raw(204, b"", "image/x-icon")
        elif url.path == "/v3/billdownload/file":
            content = state.bill_file(query.get("token", ""))
            if content is None:
                self._json(404, {"code": "NOT_FOUND", "message": "no bill"}, signed=False)
            else:
                self._raw(200, content, "text/csv; charset=utf-8")
        else:
            self._api(method, url, query, raw.decode("utf-8", errors="replace"))

    def _api(self, method, url, query, body: str) -> None:
        state = self.server.emulator.state
        path = url.path + (f"?{url.query}" if url.query else "")
        fault = state.api_fault(url.path)
        if fault:
            self._json(fault, {"code": "SYSTEM_ERROR", "message": "injected failure"})
            return
        try:
            state.check_authorization(method, path, self.headers.get("Authorization", ""), body)
        except ApiError as exc:
            self._json(exc.status, {"code": exc.code, "message": exc.message})
            return
        status, answer = state.handle(method, url.path, query, body)
        self._json(status, answer)

    def _pay_page(self, method: str, token: str, query: dict) -> None:
        state = self.server.emulator.state
        order = state.order_for_token(token)
        back = query.get("return", "")
        if not back.startswith(("http://", "https://")):
            back = ""
        if order is None:
            self._page(404, "订单不存在", "<p>这个支付链接无效。</p>")
            return
        merchant = html.escape(order["description"])
        amount = f"¥{order['total'] // 100}.{order['total'] % 100:02d}"
        if method == "POST":
            try:
                order = state.pay(token)
            except ValueError:
                self._page(409, "订单已关闭", "<p>该订单已关闭，无法支付。</p>", merchant)
                return
            if back:
                self.send_response(303)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._page(200, "支付成功", f'<p class="amount">{amount}</p>', merchant)
            return
        if order["trade_state"] != "NOTPAY":
            self._page(200, "订单已处理", f"<p>状态：{order['trade_state']}</p>", merchant)
            return
        content = (
            f'<p class="amount">{amount}</p><form method="post">'
            f'<button type="submit" id="pay">确认支付</button></form>'
        )
        self._page(200, "微信支付", content, merchant)

    def _page(self, status: int, title: str, content: str, merchant: str = "") -> None:
        data = PAGE.format(title=title, content=content, merchant=merchant).encode()
        self._raw(status, data, "text/html; charset=utf-8")

    def _json(self, status: int, payload, *, signed: bool = True) -> None:
        text = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        headers = self.server.emulator.state.signed_headers(text) if signed else {}
        self._raw(status, text.encode(), "application/json; charset=utf-8", headers)

    def _raw(self, status: int, data: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _control(state: PayEmulatorState, method: str, path: str, body: bytes):
    post = {
        "reset": lambda data: state.reset(**data),
        "faults": lambda data: state.set_faults(**data),
        "config": lambda data: state.configure(**data),
        "pay": lambda data: state.pay(str(data.get("token", ""))),
    }
    try:
        return control(method, path, body, get={"state": state.snapshot}, post=post)
    except KeyError:
        return 404, {"error": "no such order"}


class PayEmulatorServer(EmulatorServerBase):
    """The emulator on a real socket (`port=0`: a free one). `url`, `state`, `stop()`.

    `state_file`: orders are kept there across restarts (see PayEmulatorState)."""

    handler = _Handler

    def __init__(
        self,
        *,
        key_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        config: PayEmulatorConfig | None = None,
        state_file: str | Path | None = None,
    ):
        self.state = PayEmulatorState(config, key_dir=key_dir, state_file=state_file)
        super().__init__(host=host, port=port)
        self.state.base_url = self.url

    def close_state(self) -> None:
        """Deliveries still waiting are dropped; the state file keeps them for the next start."""
        self.state.close()
