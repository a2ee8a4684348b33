"""A pool of pre-started, never-used sandboxes, and background removal.

Starting a container costs about 0.4 s here. A pool keeps ``size`` fresh sandboxes
per (image, config) ready, refilled by a background thread, so grading and resets
pay only for their own work. A pooled sandbox is handed out once and never reused,
so "a fresh container" still holds. Sandboxes given back are removed in the
background. Call :meth:`close` (or use ``with``) to remove whatever is left.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from swe_env.errors import SweEnvError
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import DockerSandbox


class SandboxPool:
    """Pre-started sandboxes per (image, config). Thread-safe."""

    def __init__(self, client: Any, size: int = 1, workers: int = 2) -> None:
        self.client = client
        self.size = size
        self._ready: dict[tuple[str, str], deque[DockerSandbox]] = defaultdict(deque)
        self._pending: dict[tuple[str, str], int] = defaultdict(int)
        self._lock = threading.Lock()
        self._exec = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="swe-env-pool")
        self._closed = False

    @staticmethod
    def _key(image: str, config: DockerSandboxConfig) -> tuple[str, str]:
        return image, config.model_dump_json()

    def _start(self, image: str, config: DockerSandboxConfig, task: str | None) -> DockerSandbox:
        return DockerSandbox(image, config, client=self.client, task=task)

    def _refill(self, image: str, config: DockerSandboxConfig, task: str | None) -> None:
        key = self._key(image, config)
        try:
            sandbox = self._start(image, config, task)
        except SweEnvError:
            with self._lock:
                self._pending[key] -= 1
            return
        with self._lock:
            self._pending[key] -= 1
            if self._closed:
                closed = True
            else:
                closed = False
                self._ready[key].append(sandbox)
        if closed:
            sandbox.close()

    def _top_up(self, image: str, config: DockerSandboxConfig, task: str | None) -> None:
        key = self._key(image, config)
        with self._lock:
            if self._closed:
                return
            missing = self.size - len(self._ready[key]) - self._pending[key]
            self._pending[key] += max(0, missing)
        for _ in range(max(0, missing)):
            self._exec.submit(self._refill, image, config, task)

    def warm(self, image: str, config: DockerSandboxConfig, task: str | None = None) -> None:
        """Start filling the pool for ``image`` in the background."""
        self._top_up(image, config, task)

    def acquire(
        self, image: str, config: DockerSandboxConfig, task: str | None = None
    ) -> DockerSandbox:
        """A fresh sandbox: a pre-started one if ready, else started now. Refills behind."""
        key = self._key(image, config)
        with self._lock:
            sandbox = self._ready[key].popleft() if self._ready[key] else None
        self._top_up(image, config, task)
        return sandbox if sandbox is not None else self._start(image, config, task)

    def release(self, sandbox: DockerSandbox) -> None:
        """Remove ``sandbox`` in the background (it is never handed out again)."""
        if self._closed:
            sandbox.close()
        else:
            self._exec.submit(sandbox.close)

    def close(self) -> None:
        """Remove every ready sandbox and wait for background removals."""
        with self._lock:
            self._closed = True
            ready = [sb for queue in self._ready.values() for sb in queue]
            self._ready.clear()
        self._exec.shutdown(wait=True)
        for sandbox in ready:
            with contextlib.suppress(SweEnvError):
                sandbox.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
