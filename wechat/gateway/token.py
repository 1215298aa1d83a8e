"""The access token, shared by every process through the Django cache and refreshed under a lock.

WeChat retires a token when another is fetched for the same account (CONTRACT.md §2), so one
component fetches it for the web process, the worker and the scheduler alike. Tokens come from
`cgi-bin/stable_token` (normal mode), which returns the same token to every caller while it is
valid: even a refresh racing past the lock cannot invalidate another worker's token.
"""

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache

from .. import errors


class AccessTokenCache:
    """The access token in the Django cache, refreshed by one process at a time.

    `fetch` calls WeChat and returns (token, expires_in). The cache entry expires a little
    before WeChat's token does, so it is renewed before WeChat starts refusing it. The refresh
    lock is `cache.add` (atomic on Redis and the local-memory cache); on the file cache, whose
    `add` checks then writes, it is a lock file created with O_EXCL beside the cache files.
    """

    POLL_SECONDS = 0.05

    def __init__(
        self,
        *,
        app_id: str,
        fetch: Callable[[], tuple[str, int]],
        cache_alias: str = "default",
        lock_timeout: float | None = None,
    ):
        self.cache_alias = cache_alias
        self.key = f"wechat:access_token:{app_id}"
        self.lock_key = f"{self.key}:lock"
        # When the cached token is renewed (seconds since the epoch), for the status page.
        self.expiry_key = f"{self.key}:renew_at"
        self._fetch = fetch
        self.lock_timeout = lock_timeout or settings.WECHAT_TOKEN_LOCK_TIMEOUT

    @property
    def cache(self):
        # Looked up on each use, so a test's settings.CACHES override is honoured.
        return caches[self.cache_alias]

    def get(self) -> str:
        """The cached token, fetched first when there is none. Raises WeChatError."""
        return self.cache.get(self.key) or self.refresh(stale=None)

    def refresh(self, *, stale: str | None) -> str:
        """A token other than `stale`: another process's fresh one, or one fetched here.

        Raises WeChatError from the fetch, or RetryableError when the lock holder takes longer
        than the lock timeout.
        """
        deadline = time.monotonic() + self.lock_timeout
        while True:
            current = self.cache.get(self.key)
            if current and current != stale:
                return current
            owner = uuid.uuid4().hex
            if self._acquire(owner):
                try:
                    current = self.cache.get(self.key)
                    if current and current != stale:
                        return current
                    token, expires_in = self._fetch()
                    seconds = self._cache_seconds(expires_in)
                    self.cache.set_many(
                        {self.key: token, self.expiry_key: time.time() + seconds}, timeout=seconds
                    )
                    return token
                finally:
                    self._release(owner)
            if time.monotonic() >= deadline:
                raise errors.RetryableError(None, "timed out waiting for the token refresh lock")
            time.sleep(self.POLL_SECONDS)

    def state(self) -> tuple[bool, float | None]:
        """(whether a token is cached, when it is renewed: seconds since the epoch, or None
        if unknown). Never the token itself."""
        found = self.cache.get_many([self.key, self.expiry_key])
        return bool(found.get(self.key)), found.get(self.expiry_key)

    def clear(self) -> None:
        self.cache.delete_many([self.key, self.lock_key, self.expiry_key])
        if path := self._lock_file():
            path.unlink(missing_ok=True)

    def _lock_file(self) -> Path | None:
        if not isinstance(self.cache, FileBasedCache):
            return None
        name = hashlib.sha1(self.lock_key.encode()).hexdigest()
        # Beside the cache files (the backend's LOCATION), not *.djcache: never culled.
        directory = Path(os.path.abspath(settings.CACHES[self.cache_alias]["LOCATION"]))
        return directory / f"wechat-token-{name}.lock"

    def _acquire(self, owner: str) -> bool:
        path = self._lock_file()
        if path is None:
            return self.cache.add(self.lock_key, owner, timeout=int(self.lock_timeout) + 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > self.lock_timeout:
                    path.unlink()  # its holder died: the next attempt may take it
            return False
        with os.fdopen(fd, "w") as handle:
            handle.write(owner)
        return True

    def _release(self, owner: str) -> None:
        path = self._lock_file()
        if path is None:
            if self.cache.get(self.lock_key) == owner:
                self.cache.delete(self.lock_key)
            return
        with contextlib.suppress(OSError):
            if path.read_text() == owner:
                path.unlink()

    @staticmethod
    def _cache_seconds(expires_in: int) -> int:
        # Renew 5 minutes early (WeChat's own rollover window), or halfway for short tokens.
        return max(1, expires_in - min(300, expires_in // 2))
