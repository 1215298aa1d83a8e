"""An emulator of WeChat Pay API v3 (merchant side), for development and tests.

Orders (JSAPI, Native), the payer's page stand-in, signed and AES-GCM-encrypted notifications to
the order's notify_url, query, close, refunds, the trade bill, and faults (lost, duplicated,
delayed or wrongly signed notifications; failing API calls). Its RSA keys are generated into a
folder (DATA_DIR/wechatpay-emulator), never committed. A production process never imports it.

    python manage.py wechatpay_emulator
    server = PayEmulatorServer(key_dir=tmp, port=0).start(); server.url; server.state
"""

from .config import PayEmulatorConfig, PayFaults
from .server import PayEmulatorServer
from .state import PayEmulatorState

__all__ = ["PayEmulatorConfig", "PayEmulatorServer", "PayEmulatorState", "PayFaults"]
