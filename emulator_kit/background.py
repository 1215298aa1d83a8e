"""Threads an emulator starts on its own (timers, callback and notification deliveries), and its
state file.

`Background.settle()` waits until none of them runs: a delivery's POST returns once the site has
handled it, so afterwards nothing the emulator started still writes to the site's database
(tests flush it next).
"""

import json
import os
import threading
import time
from pathlib import Path


class Background:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, thread: threading.Thread) -> None:
        """Start `thread` (a threading.Timer too) and keep it for settle()."""
        with self._lock:  # started under the lock: settle() never sees it not yet alive
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def run(self, fn, *args) -> None:
        """Run `fn(*args)` in a daemon thread settle() waits for."""
        self.start(threading.Thread(target=fn, args=args, daemon=True))

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until none of the threads runs; True when idle, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                busy = list(self._threads)
            if not busy:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            busy[0].join(min(remaining, 0.5))


def write_json_atomically(path: Path, data) -> None:
    """Write `data` as JSON to `path` through a temporary file, so a reader never sees half."""
    tmp = path.with_suffix(".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
