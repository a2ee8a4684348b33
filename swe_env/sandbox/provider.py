"""SandboxProvider: the one way to get a sandbox.

A provider is built from a sandbox config (the :data:`~swe_env.sandbox.config.SandboxConfig`
union); it resolves the backend by name (:func:`~swe_env.sandbox.config.backend_class`)
and owns what every caller used to build for itself:

- the engine client, connected on first use and closed by :meth:`close`;
- extra labels on every container it starts (a service's name, instance, episode...);
- an optional warm :class:`~swe_env.sandbox.pool.SandboxPool`;
- removal of containers by label or by dead owner (through :mod:`swe_env.sandbox.gc`).

:meth:`labelled` hands out a child provider that shares the client and pool and adds
labels; only the root provider closes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from swe_env.sandbox.config import BACKENDS, DockerSandboxConfig, SandboxConfig, backend_class

if TYPE_CHECKING:
    import docker

    from swe_env.sandbox.docker import DockerSandbox
    from swe_env.sandbox.pool import SandboxPool


class SandboxProvider:
    """Starts, hands out and removes sandboxes of one backend. Thread-safe.

    Args:
        config: the backend and its defaults (``type`` selects the backend).
        client: an engine client to use (not closed by :meth:`close`); default: one
            connected on first use to ``config.docker_host`` and closed by :meth:`close`.
        labels: extra labels for every container started.
        pool_size: keep this many pre-started sandboxes per (image, config, labels);
            0 starts each one on demand.
        pool: an existing pool to use instead (its owner closes it).
        pool_demand_only: the pool starts containers only for announced jobs
            (:meth:`expect`), as a runner that looks ahead at its queue wants.

    Raises:
        ValueError: an unknown backend in ``config``.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        client: docker.DockerClient | None = None,
        labels: dict[str, str] | None = None,
        pool_size: int = 0,
        pool: SandboxPool | None = None,
        pool_demand_only: bool = False,
    ) -> None:
        self.config: DockerSandboxConfig = config or DockerSandboxConfig()
        if self.config.type not in BACKENDS:  # checked now, imported on first use
            backend_class(self.config.type)
        self._backend: type[DockerSandbox] | None = None
        self.labels: dict[str, str] = dict(labels or {})
        self._client = client
        self._owns_client = client is None
        self._pool = pool
        self._owns_pool = pool is None and pool_size > 0
        self._pool_size = pool_size
        self._pool_demand_only = pool_demand_only
        self._lock = threading.Lock()
        self._root = True
        self._closed = False
        self.on_acquire: Callable[[DockerSandbox], None] | None = None
        """Called with every sandbox :meth:`acquire` hands out (an owner's bookkeeping)."""
        self.background_release = True
        """With a pool, :meth:`release` removes in the background; a service whose DELETE
        promises the containers are gone when it answers turns this off."""
        self._removed_now: set[str] = set()
        """Sandboxes started for a given episode (a snapshot's): removed in the caller's
        thread, since whoever releases one may then remove its image."""
        self.pool_labels: dict[str, str] | None = None
        """Labels of the pool's pre-started containers when they differ from ``labels``
        (a service's: started before any episode); the pool is then used only for what is
        ready or starting, and a container started on demand carries ``labels``."""

    # -- shared resources ---------------------------------------------------------------
    @property
    def backend(self) -> type[DockerSandbox]:
        """The sandbox class of ``config.type`` (imported on first use)."""
        if self._backend is None:
            self._backend = backend_class(self.config.type)
        return self._backend

    @property
    def client(self) -> docker.DockerClient:
        """The engine client (connected on first use).

        Raises:
            DockerUnavailable: no engine answers.
        """
        with self._lock:
            if self._client is None:
                from swe_env.sandbox.docker import docker_client

                self._client = docker_client(self.config.docker_host)
            return self._client

    def ping(self) -> None:
        """Check that the engine answers.

        Raises:
            DockerUnavailable: it does not (on connecting).
            docker.errors.APIError, requests.exceptions.RequestException: it stopped.
        """
        self.client.ping()

    @property
    def connected(self) -> bool:
        """Whether a client is held (handed in, or connected on first use)."""
        return self._client is not None

    @property
    def pool(self) -> SandboxPool | None:
        """The warm pool, or ``None`` when sandboxes start on demand."""
        if self._pool is None and self._owns_pool:
            client = self.client
            with self._lock:
                if self._pool is None:
                    from swe_env.sandbox.pool import SandboxPool

                    self._pool = SandboxPool(
                        client,
                        size=self._pool_size,
                        workers=max(2, self._pool_size),
                        demand_only=self._pool_demand_only,
                    )
        return self._pool

    def labelled(self, **labels: str) -> SandboxProvider:
        """A provider sharing this one's client and pool whose containers carry
        ``labels`` too. Closing it closes nothing shared."""
        child = SandboxProvider(
            self.config, client=self.client, labels={**self.labels, **labels}, pool=self.pool
        )
        child._root = False
        return child

    # -- sandboxes -----------------------------------------------------------------------
    def acquire(
        self,
        image: str,
        config: DockerSandboxConfig | None = None,
        *,
        task: str | None = None,
        episode: str | None = None,
    ) -> DockerSandbox:
        """A fresh sandbox from ``image`` (pre-started from the pool when there is one).

        Raises:
            DockerUnavailable, ImageMissing, SandboxError: as the backend raises them.
        """
        config = config or self.config
        pool = self.pool
        sandbox = None
        if pool is not None and episode is None:
            split = self.pool_labels is not None
            labels = self.pool_labels if split else self.labels
            sandbox = pool.acquire(image, config, task=task, labels=labels, start=not split)
        if sandbox is None:
            sandbox = self.backend(
                image, config, task=task, episode=episode, client=self.client, labels=self.labels
            )
            if episode is not None:
                with self._lock:
                    self._removed_now.add(sandbox.id)
        if self.on_acquire is not None:
            self.on_acquire(sandbox)
        return sandbox

    def expect(self, image: str, count: int = 1, *, task: str | None = None) -> None:
        """Announce ``count`` upcoming acquisitions of ``image`` to the warm pool (no-op
        without one): their containers start in the background."""
        pool = self.pool
        if pool is not None:
            labels = self.labels if self.pool_labels is None else self.pool_labels
            pool.expect(image, self.config, count, task=task, labels=labels)

    def release(self, sandbox: DockerSandbox) -> None:
        """Remove ``sandbox`` (in the background with a pool, except a snapshot's)."""
        with self._lock:
            now = sandbox.id in self._removed_now
            self._removed_now.discard(sandbox.id)
        pool = self._pool
        if pool is not None and not now and self.background_release:
            pool.release(sandbox)
        else:
            sandbox.close()

    # -- removal -------------------------------------------------------------------------
    def remove_labelled(self, reason: str, **labels: str) -> int:
        """Force-remove every container carrying ``labels``; returns how many."""
        from swe_env.sandbox import gc

        return gc.remove_labelled(self.client, labels, reason)

    def count_labelled(self, **labels: str) -> int:
        """How many containers carry ``labels`` (running or not)."""
        from swe_env.sandbox import gc

        return len(gc.find_labelled(self.client, labels, ""))

    def remove_orphans(self, **labels: str) -> int:
        """Remove containers with ``labels`` whose owner is proven dead."""
        from swe_env.sandbox import gc

        return gc.remove_orphans(
            self.client,
            gc.find_orphans(self.client, labels=[f"{k}={v}" for k, v in labels.items()]),
        )

    def reap(self, pids: list[int]) -> int:
        """Remove the containers that processes ``pids`` of this host started."""
        from swe_env.sandbox import gc

        client = self.client
        return sum(gc.remove_orphans(client, gc.owned_by(client, pid)) for pid in pids)

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Close the pool and the client this provider created. Idempotent."""
        with self._lock:
            if self._closed or not self._root:
                self._closed = True
                return
            self._closed = True
            pool = self._pool if self._owns_pool else None
            client = self._client if self._owns_client else None
        if pool is not None:
            pool.close()
        if client is not None:
            client.close()

    def __enter__(self) -> SandboxProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
