"""The Ray runner's per-node actor (:class:`EpisodeWorker`) and the sweep that removes
what a dead worker left (:func:`reap_containers`).

With ``warm_pool`` the worker keeps one demand-only pool for its node: the driver
announces each job it reserves for this worker (:meth:`EpisodeWorker.expect`) while the
worker's current episodes run, so that job's reset takes over a started container. A
job whose image the node has not built yet is not announced (its reset builds it).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import ray

from swe_env.env import SWEEnv, SWEEnvConfig
from swe_env.rollout.agent import AgentConfig
from swe_env.rollout.local import ThreadEnvs, run_job
from swe_env.rollout.shipping import unpack
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.spec import TaskSpec


def reap_containers(
    pids: list[int], docker_host: str | None = None, passes: tuple[float, ...] = (0.0,)
) -> int:
    """Remove the containers that processes ``pids`` of this host left behind.

    ``passes`` are delays (seconds from the call) of repeated sweeps: a create request
    that a dying process sent may still complete in the engine after the first sweep.
    Returns how many were removed. Used for dead workers: their episodes are rerun.
    """
    if not pids:
        return 0
    from swe_env.sandbox.config import DockerSandboxConfig
    from swe_env.sandbox.provider import SandboxProvider

    removed = 0
    started = time.monotonic()
    with SandboxProvider(DockerSandboxConfig(docker_host=docker_host)) as provider:
        for delay in passes:
            time.sleep(max(0.0, started + delay - time.monotonic()))
            with contextlib.suppress(Exception):  # as before: a failed sweep is not fatal
                removed += provider.reap(pids)
    return removed


@ray.remote(num_cpus=0, max_restarts=0)
class EpisodeWorker:
    """Runs episodes on its node. Methods run in up to ``max_concurrency`` threads."""

    def __init__(
        self,
        config: SWEEnvConfig,
        make_policy: Callable[[TaskSpec], Any],
        agent: AgentConfig | None,
        retries: int,
        reap_pids: list[int],
        make_env: Callable[[SWEEnvConfig], Any] | None = None,
        warm_pool: int = 0,
    ) -> None:
        """``warm_pool``: at most this many started containers per image (0: none; only
        with the default ``make_env``)."""
        self.provider: SandboxProvider | None = None
        if make_env is None:
            if warm_pool:
                self.provider = SandboxProvider(
                    config.sandbox, pool_size=warm_pool, pool_demand_only=True
                )
            provider = self.provider
            # Tasks come with the jobs (swe_env.rollout.shipping): no suite is loaded here.
            make_env = lambda c: SWEEnv(c, tasks=[], provider=provider)  # noqa: E731
        self.envs = ThreadEnvs(config, make_env=make_env)
        self._present: set[str] = set()
        """Instance images found on this node (a tag is a content hash: it stays)."""
        self.host = socket.gethostname()
        self.make_policy = make_policy
        self.agent = agent
        self.retries = retries
        self.reaped = reap_containers(reap_pids, config.sandbox.docker_host)
        if reap_pids:  # late sweeps in the background: do not hold up the new worker
            threading.Thread(
                target=reap_containers,
                args=(reap_pids, config.sandbox.docker_host, (3.0, 10.0, 30.0)),
                daemon=True,
            ).start()

    def describe(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "host": socket.gethostname(), "reaped": self.reaped}

    def expect(self, task: TaskSpec, repo: bytes | None = None) -> bool:
        """Start a container for a job reserved for this worker; False when there is no
        pool or the node lacks the image (the job's reset builds it)."""
        if self.provider is None:
            return False
        from swe_env.images.build import instance_tag

        task = unpack(task, repo)
        tag = instance_tag(task)
        if tag not in self._present:
            try:
                self.provider.client.images.get(tag)
            except Exception:  # missing, or the engine is down: the reset will tell
                return False
            self._present.add(tag)
        self.provider.expect(tag, task=task.full_id)
        return True

    def close(self) -> None:
        """Remove the pool's unused containers (the driver calls it before the kill)."""
        self.envs.close()
        if self.provider is not None:
            self.provider.close()

    def run(self, task: TaskSpec, sample: int, repo: bytes | None = None) -> dict[str, Any]:
        """One episode; ``repo`` is the task's packed tree (resolved by Ray from the
        object store), unpacked once on this node."""
        task = unpack(task, repo)

        def make_env() -> Any:
            env = self.envs.get()
            env.tasks[:] = [t for t in env.tasks if t.full_id != task.full_id] + [task]
            return env

        traj = run_job(
            make_env, task, self.make_policy, sample, agent=self.agent, retries=self.retries
        )
        traj.node = self.host
        return traj.model_dump(mode="json")
