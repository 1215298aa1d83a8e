"""An emulator of the WeChat Official Account API, for development and tests.

It answers the endpoints the CMS uses as shared/wechat/CONTRACT.md describes them (paths, JSON
shapes, limits, errcodes), pushes MASSSENDJOBFINISH / PUBLISHJOBFINISH / subscribe events to
the callback URL, and injects faults on request. It imports neither Django nor wechatpy.

    python manage.py wechat_emulator              # for dev.py run, on WECHAT_EMULATOR_PORT
    server = EmulatorServer(port=0, config=EmulatorConfig(follower_count=25)).start()

`server.state` (EmulatorState) is the Python control surface; `EmulatorClient(url)` the same
over HTTP; server.py lists the control paths.
"""

from .api.common import index_of, openid_for
from .client import EmulatorClient, EmulatorUnavailable
from .config import EmulatorConfig, Faults
from .server import EmulatorServer
from .state import EmulatorState

__all__ = [
    "EmulatorClient",
    "EmulatorConfig",
    "EmulatorServer",
    "EmulatorState",
    "EmulatorUnavailable",
    "Faults",
    "index_of",
    "openid_for",
]
