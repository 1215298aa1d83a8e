"""What the development emulators (wechat_emulator, payments_emulator) share: the HTTP server
skeleton (emulator_kit.server), their background threads and state file
(emulator_kit.background). Standard library only; a production process never imports it
(tests/test_architecture.py)."""

from .background import Background, write_json_atomically
from .server import EmulatorHandler, EmulatorServerBase, control

__all__ = [
    "Background",
    "EmulatorHandler",
    "EmulatorServerBase",
    "control",
    "write_json_atomically",
]
