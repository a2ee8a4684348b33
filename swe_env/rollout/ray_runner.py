"""The Ray runner: episodes spread over the nodes of a Ray cluster.

Each alive node gets one threaded actor (:class:`EpisodeWorker`) pinned to it, which
runs up to ``per_node`` episodes at once against that node's Docker engine. The driver
hands out (task, sample) jobs (``samples`` per task: a GRPO group), writes each finished
trajectory to ``OUT/trajectories.jsonl`` as it arrives, and resumes from that file.

A worker that dies (killed, out of memory, node lost) fails its running episodes; the
driver puts them back at the head of the queue and, if the node is still alive, starts
a new worker there that first removes the dead worker's containers. A job is written
exactly once: its result either arrives or the job is requeued, and the writer ignores
a second complete record of a (task, sample) pair. After ``max_attempts`` worker deaths
a job is recorded as ``infra_error`` (a rerun retries it).

With ``warm_pool`` (the default) each worker also reserves its next ``per_node`` jobs,
whose containers its node starts meanwhile (:mod:`swe_env.rollout.ray_worker`).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
import ray.exceptions
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from swe_env.env import SWEEnvConfig
from swe_env.rollout.agent import AgentConfig
from swe_env.rollout.config import RayRunnerConfig
from swe_env.rollout.local import pending_jobs
from swe_env.rollout.ray_worker import EpisodeWorker, reap_containers
from swe_env.rollout.shipping import pack
from swe_env.rollout.trajectory import Trajectory, TrajectoryWriter
from swe_env.tasks.spec import TaskSpec

_WORKER_GONE = (
    ray.exceptions.RayActorError,
    ray.exceptions.WorkerCrashedError,
    ray.exceptions.ObjectLostError,
)


@dataclass
class _Worker:
    node_id: str
    actor: Any
    pid: int = 0
    host: str = ""
    running: set[Any] = field(default_factory=set)
    alive: bool = True
    reserved: deque[tuple[TaskSpec, int]] = field(default_factory=deque)
    """Jobs this worker takes next, announced to its warm pool (never also queued)."""


@dataclass
class _Jobs:
    """The driver's books for one run: the queue, attempts per (task, sample), the job
    each running reference stands for, and how a finished trajectory is recorded."""

    queue: deque[tuple[TaskSpec, int]]
    finish: Callable[[Trajectory], None]
    attempts: dict[tuple[str, int], int] = field(default_factory=dict)
    inflight: dict[Any, tuple[TaskSpec, int, _Worker]] = field(default_factory=dict)
    repos: dict[str, Any] = field(default_factory=dict)
    """Task full_id -> its packed tree in the object store (put once, sent by reference)."""

    def repo(self, task: TaskSpec) -> Any:
        if task.full_id not in self.repos:
            blob = pack(task)
            self.repos[task.full_id] = None if blob is None else ray.put(blob)
        return self.repos[task.full_id]


def start_ray(config: RayRunnerConfig) -> bool:
    """Connect to (or start) a cluster; True if this call did (the caller then shuts Ray
    down: a connection left open would be the next run's, whatever its address)."""
    if ray.is_initialized():
        return False
    if config.address:
        for attempt in range(3):  # a head that just started may refuse its first client
            try:
                ray.init(address=config.address, log_to_driver=False, configure_logging=False)
                return True
            except ConnectionError:
                with contextlib.suppress(Exception):
                    ray.shutdown()
                if attempt == 2:
                    raise
                time.sleep(5)
    ray.init(
        num_cpus=config.num_cpus,
        include_dashboard=False,
        object_store_memory=config.object_store_mb * 1024 * 1024,
        log_to_driver=False,
        configure_logging=False,
    )
    return True


class RayRunner:
    """Runs jobs on a Ray cluster; see the module docstring. ``workers`` is live state."""

    def __init__(
        self,
        config: SWEEnvConfig,
        make_policy: Callable[[TaskSpec], Any],
        *,
        agent: AgentConfig | None = None,
        retries: int = 2,
        ray_config: RayRunnerConfig | None = None,
        make_env: Callable[[SWEEnvConfig], Any] | None = None,
    ) -> None:
        """``make_env(config)``: each worker thread's environment (default: a
        :class:`SWEEnv` with no suite, fed the tasks its jobs bring; it must have a
        ``tasks`` list). Benchmarks pass a fake one to measure the driver alone."""
        self.make_env = make_env
        self.ray_config = ray_config or RayRunnerConfig()
        self.warm_pool = self.ray_config.warm_pool and make_env is None
        self.config = config
        self.make_policy = make_policy
        self.agent = agent
        self.retries = retries
        self.workers: list[_Worker] = []
        self.respawns = 0
        self.requeued = 0

    # -- workers ----------------------------------------------------------------------
    def _spawn(self, node_id: str, reap_pids: list[int] | None = None) -> _Worker | None:
        actor = EpisodeWorker.options(  # type: ignore[attr-defined]
            max_concurrency=self.ray_config.per_node + 1,  # + expect() and close()
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
        ).remote(
            self.config,
            self.make_policy,
            self.agent,
            self.retries,
            reap_pids or [],
            self.make_env,
            self.ray_config.per_node if self.warm_pool else 0,
        )
        try:
            described = ray.get(actor.describe.remote(), timeout=self.ray_config.start_timeout)
        except (ray.exceptions.RayError, TimeoutError):
            with contextlib.suppress(Exception):
                ray.kill(actor)
            return None
        worker = _Worker(
            node_id=node_id, actor=actor, pid=int(described["pid"]), host=described["host"]
        )
        self.workers.append(worker)
        return worker

    def _alive_nodes(self) -> list[str]:
        wanted = self.ray_config.node_resource
        return [
            n["NodeID"]
            for n in ray.nodes()
            if n.get("Alive") and (wanted is None or (n.get("Resources") or {}).get(wanted))
        ]

    def _add_new_nodes(self) -> None:
        covered = {w.node_id for w in self.workers if w.alive}
        for node_id in self._alive_nodes():
            if node_id not in covered:
                self._spawn(node_id)

    def _replace(self, dead: _Worker) -> None:
        dead.alive = False
        with contextlib.suppress(Exception):
            ray.kill(dead.actor)
        if self.respawns >= self.ray_config.max_respawns:
            return
        if dead.node_id in self._alive_nodes():
            self.respawns += 1
            self._spawn(dead.node_id, reap_pids=[dead.pid])

    # -- the run ----------------------------------------------------------------------
    def run(
        self,
        tasks: list[TaskSpec],
        out_dir: Path,
        *,
        samples: int = 1,
        on_start: Callable[[str, int], None] = lambda task, sample: None,
        on_done: Callable[[Trajectory], None] = lambda traj: None,
    ) -> list[Trajectory]:
        """Run every (task, sample) pair not yet in ``out_dir``; returns the new records.

        Raises:
            RuntimeError: no worker is left and none can be started.
        """
        started_ray = start_ray(self.ray_config)
        try:
            return self._run(tasks, Path(out_dir), samples, on_start, on_done)
        finally:
            self._stop_workers()
            if started_ray:
                ray.shutdown()

    def _stop_workers(self) -> None:
        """Kill every worker; remove what the ones on this host left (an interrupted run)."""
        busy = [w for w in self.workers if w.alive and w.running]
        idle = [w for w in self.workers if w.alive and not w.running]
        with contextlib.suppress(Exception):  # their pools' unused containers
            ray.get([w.actor.close.remote() for w in idle], timeout=60)
        for worker in self.workers:
            with contextlib.suppress(Exception):
                ray.kill(worker.actor)
        here = socket.gethostname()
        local = [w.pid for w in busy if _wait_dead(w.actor) and w.host == here]
        local += [w.pid for w in self.workers if not w.alive and w.host == here]
        with contextlib.suppress(Exception):  # interrupted episodes', dead workers' containers
            reap_containers(local, self.config.sandbox.docker_host, (0.0, 3.0))
        self.workers = []

    def _run(
        self,
        tasks: list[TaskSpec],
        out_dir: Path,
        samples: int,
        on_start: Callable[[str, int], None],
        on_done: Callable[[Trajectory], None],
    ) -> list[Trajectory]:
        writer = TrajectoryWriter(out_dir)
        results: list[Trajectory] = []

        def finish(traj: Trajectory) -> None:
            writer.write(traj)
            results.append(traj)
            on_done(traj)

        jobs = _Jobs(deque(pending_jobs(writer, tasks, samples)), finish)
        if jobs.queue:
            self._add_new_nodes()
        last_scan = time.monotonic()
        while jobs.queue or jobs.inflight or any(w.reserved for w in self.workers if w.alive):
            live = [w for w in self.workers if w.alive]
            if not live:
                raise RuntimeError("no Ray worker is left and none can be started")
            self._dispatch(jobs, live, on_start)
            for worker in self._collect(jobs):
                self._bury(jobs, worker)
            if time.monotonic() - last_scan > 10:
                self._add_new_nodes()
                last_scan = time.monotonic()
        return results

    def _dispatch(
        self, jobs: _Jobs, live: list[_Worker], on_start: Callable[[str, int], None]
    ) -> None:
        """Hand jobs to ``live`` workers, up to ``per_node`` running on each: a worker's
        reserved jobs first, then the queue, then (at the tail of a run) another
        worker's last reservation. With the warm pool, each worker then reserves up to
        ``per_node`` more from the queue and announces them to its node."""
        for worker in live:
            while len(worker.running) < self.ray_config.per_node:
                job = self._next_job(jobs, worker, live)
                if job is None:
                    break
                task, sample = job
                key = (task.full_id, sample)
                jobs.attempts[key] = jobs.attempts.get(key, 0) + 1
                ref = worker.actor.run.remote(task, sample, jobs.repo(task))
                worker.running.add(ref)
                jobs.inflight[ref] = (task, sample, worker)
                on_start(task.full_id, sample)
            while self.warm_pool and jobs.queue:
                if len(worker.reserved) >= self.ray_config.per_node:
                    break
                task, sample = jobs.queue.popleft()
                worker.reserved.append((task, sample))
                worker.actor.expect.remote(task, jobs.repo(task))

    @staticmethod
    def _next_job(jobs: _Jobs, worker: _Worker, live: list[_Worker]) -> tuple[TaskSpec, int] | None:
        if worker.reserved:
            return worker.reserved.popleft()
        if jobs.queue:
            return jobs.queue.popleft()
        richest = max(live, key=lambda w: len(w.reserved))
        return richest.reserved.pop() if richest.reserved else None

    def _collect(self, jobs: _Jobs) -> list[_Worker]:
        """Record the episodes that finish within one poll; returns the workers found dead."""
        inflight = jobs.inflight
        ready, _ = ray.wait(list(inflight), num_returns=1, timeout=self.ray_config.poll_seconds)
        if ready:  # collect every other finished ref too, without waiting
            more, _ = ray.wait(list(inflight), num_returns=len(inflight), timeout=0)
            ready = list(dict.fromkeys([*ready, *more]))
        dead: list[_Worker] = []
        for ref in ready:
            task, sample, worker = inflight.pop(ref)
            worker.running.discard(ref)
            try:
                jobs.finish(Trajectory.model_validate(ray.get(ref)))
            except _WORKER_GONE as exc:
                if worker.alive and worker not in dead:
                    dead.append(worker)
                self._requeue(jobs, task, sample, exc)
            except ray.exceptions.RayError as exc:
                jobs.finish(_infra_error(task, sample, exc))
        return dead

    def _bury(self, jobs: _Jobs, worker: _Worker) -> None:
        """Settle a dead worker's other episodes, then replace it. They are lost with it
        (requeued), unless one finished just before (recorded)."""
        for ref in list(worker.running):
            task, sample, _ = jobs.inflight.pop(ref)
            try:
                jobs.finish(Trajectory.model_validate(ray.get(ref, timeout=0)))
            except (ray.exceptions.RayError, TimeoutError):
                self._requeue(jobs, task, sample, None)
        worker.running.clear()
        jobs.queue.extendleft(reversed(worker.reserved))  # never started: back in line
        worker.reserved.clear()
        self._replace(worker)

    def _requeue(self, jobs: _Jobs, task: TaskSpec, sample: int, exc: BaseException | None) -> None:
        if jobs.attempts.get((task.full_id, sample), 0) >= self.ray_config.max_attempts:
            jobs.finish(_infra_error(task, sample, exc or RuntimeError("worker died")))
            return
        self.requeued += 1
        jobs.queue.appendleft((task, sample))


def _wait_dead(actor: Any, timeout: float = 15.0) -> bool:
    """True once calls to ``actor`` fail because it is dead (after ``ray.kill``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ray.get(actor.describe.remote(), timeout=2)
        except ray.exceptions.RayActorError:
            return True
        except (ray.exceptions.RayError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


def _infra_error(task: TaskSpec, sample: int, exc: BaseException) -> Trajectory:
    lines = str(exc).strip().splitlines()
    message = f"{type(exc).__name__}: {lines[-1] if lines else ''}"
    return Trajectory.infra_failure(task.full_id, sample, [message])
