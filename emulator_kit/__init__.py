"""What the development emulators (wechat_emulator, payments_emulator) share: the HTTP server
skeleton in emulator_kit.server. Standard library only; a production process never imports it
(tests/test_architecture.py)."""

from .server import EmulatorHandler, EmulatorServerBase, control

__all__ = ["EmulatorHandler", "EmulatorServerBase", "control"]
