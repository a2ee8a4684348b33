"""A pool of pre-started, never-used sandboxes, and background removal.

Starting a container costs about 0.4 s here. A pool keeps fresh sandboxes per
(image, config) ready, refilled by a background thread, so grading and resets pay
only for their own work. A pooled sandbox is handed out once and never reused, so
"a fresh container" still holds. Sandboxes given back are removed in the background.
Call :meth:`close` (or use ``with``) to remove whatever is left.

How many per image: ``size`` each, for an image nobody announced (none with
``demand_only``); for an image whose upcoming jobs were announced with :meth:`expect`,
as many as are still expected (at most ``size``), so a runner that looks ahead at its
queue starts exactly the containers its next jobs will take (a GRPO group of k on one
task: k) and none that would sit unused.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

import docker

from swe_env.errors import SweEnvError
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import DockerSandbox

Key = tuple[str, str, str]
Labels = dict[str, str]


class SandboxPool:
    """Pre-started sandboxes per (image, config, extra labels). Thread-safe."""

    def __init__(
        self,
        client: docker.DockerClient,
        size: int = 1,
        workers: int = 2,
        demand_only: bool = False,
    ) -> None:
        self.client = client
        self.size = size
        self.demand_only = demand_only
        """Start containers only for announced jobs (:meth:`expect`), never ``size`` ahead."""
        self._ready: dict[Key, deque[DockerSandbox]] = defaultdict(deque)
        self._pending: dict[Key, int] = defaultdict(int)
        self._expected: dict[Key, int] = {}
        """Announced jobs not yet served, for images that run on demand."""
        self._lock = threading.Lock()
        self._exec = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="swe-env-pool")
        self._closed = False

    @staticmethod
    def _key(image: str, config: DockerSandboxConfig, labels: Labels | None) -> Key:
        return image, config.model_dump_json(), repr(sorted((labels or {}).items()))

    def _start(
        self, image: str, config: DockerSandboxConfig, task: str | None, labels: Labels | None
    ) -> DockerSandbox:
        return DockerSandbox(image, config, client=self.client, task=task, labels=labels)

    def _refill(
        self, image: str, config: DockerSandboxConfig, task: str | None, labels: Labels | None
    ) -> None:
        key = self._key(image, config, labels)
        try:
            sandbox = self._start(image, config, task, labels)
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

    def _top_up(
        self, image: str, config: DockerSandboxConfig, task: str | None, labels: Labels | None
    ) -> None:
        key = self._key(image, config, labels)
        with self._lock:
            if self._closed:
                return
            fallback = 0 if self.demand_only else self.size
            target = min(self.size, self._expected.get(key, fallback))
            missing = max(0, target - len(self._ready[key]) - self._pending[key])
            self._pending[key] += missing
            # Submitted under the lock: close() cannot shut the executor down in between.
            for _ in range(missing):
                self._exec.submit(self._refill, image, config, task, labels)

    def warm(
        self,
        image: str,
        config: DockerSandboxConfig,
        task: str | None = None,
        labels: Labels | None = None,
    ) -> None:
        """Start filling the pool for ``image`` in the background."""
        self._top_up(image, config, task, labels)

    def expect(
        self,
        image: str,
        config: DockerSandboxConfig,
        count: int = 1,
        task: str | None = None,
        labels: Labels | None = None,
    ) -> None:
        """Announce ``count`` upcoming acquisitions of ``image``: the pool starts that many
        (at most ``size`` ready at once) and, for this image, no more than are expected."""
        key = self._key(image, config, labels)
        with self._lock:
            self._expected[key] = self._expected.get(key, 0) + count
        self._top_up(image, config, task, labels)

    def acquire(
        self,
        image: str,
        config: DockerSandboxConfig,
        task: str | None = None,
        labels: Labels | None = None,
    ) -> DockerSandbox:
        """A fresh sandbox: a pre-started one if ready, else started now. Refills behind.

        ``labels``: extra labels of the container (pooled separately per label set)."""
        key = self._key(image, config, labels)
        with self._lock:
            sandbox = self._ready[key].popleft() if self._ready[key] else None
            if key in self._expected:
                self._expected[key] = max(0, self._expected[key] - 1)
        self._top_up(image, config, task, labels)
        return sandbox if sandbox is not None else self._start(image, config, task, labels)

    def release(self, sandbox: DockerSandbox) -> None:
        """Remove ``sandbox`` in the background (it is never handed out again)."""
        with self._lock:
            if not self._closed:
                # Under the lock: close() cannot shut the executor down in between.
                self._exec.submit(sandbox.close)
                return
        sandbox.close()

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
