"""The local runner: N concurrent episodes on one machine, streamed to disk."""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from swe_env.env import SWEEnv, SWEEnvConfig
from swe_env.errors import SweEnvError
from swe_env.rollout.agent import AgentConfig
from swe_env.rollout.episode import run_with_retries
from swe_env.rollout.stopping import StoppableEnv, run_jobs
from swe_env.rollout.trajectory import Trajectory, TrajectoryWriter
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.spec import TaskSpec

PolicyFactory = Callable[[TaskSpec], Any]


class ThreadEnvs:
    """One environment per runner thread, reused from episode to episode.

    ``reset`` starts a fresh container each time, so reuse only saves loading the suite
    and connecting to the engine. Call :meth:`close` at the end.
    """

    def __init__(
        self, config: SWEEnvConfig, make_env: Callable[[SWEEnvConfig], Any] = SWEEnv
    ) -> None:
        self.config = config
        self.make_env = make_env
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Any] = []

    def get(self) -> Any:
        """This thread's environment (created on first use)."""
        env = getattr(self._local, "env", None)
        if env is None:
            env = self._local.env = self.make_env(self.config)
            with self._lock:
                self._all.append(env)
        return env

    def close(self) -> None:
        """Close every environment made (safe to call more than once)."""
        with self._lock:
            envs, self._all = self._all, []
        for env in envs:
            with contextlib.suppress(SweEnvError):
                env.close()


def run_job(
    make_env: Callable[[], Any],
    task: TaskSpec,
    make_policy: PolicyFactory,
    sample: int,
    *,
    agent: AgentConfig | None = None,
    retries: int = 2,
) -> Trajectory:
    """One (task, sample) episode with retries; never raises.

    ``make_env()`` gives the environment of each attempt (a new one, or this thread's).
    Infrastructure faults are retried. An unexpected exception (a bug, an unwrapped
    engine error) is recorded too, as ``status="infra_error"`` with its traceback, so a
    long run never dies of one episode and a rerun retries it.
    """
    try:
        return run_with_retries(
            make_env,
            lambda: make_policy(task),
            task.full_id,
            sample=sample,
            retries=retries,
            agent=agent,
        )
    except Exception as exc:
        tb = "".join(traceback.format_exception(exc, limit=-4))
        message = f"unexpected {type(exc).__name__}: {exc}\n{tb}"
        return Trajectory.infra_failure(task.full_id, sample, [message])


def pending_jobs(
    writer: TrajectoryWriter, tasks: list[TaskSpec], samples: int
) -> list[tuple[TaskSpec, int]]:
    """The (task, sample) pairs with no complete record yet, samples of a task together."""
    return [(t, k) for t in tasks for k in range(samples) if not writer.done(t.full_id, k)]


def _episode_job(
    envs: ThreadEnvs,
    stop: threading.Event,
    make_policy: PolicyFactory,
    on_start: Callable[[str, int], None],
    agent: AgentConfig | None,
    retries: int,
) -> Callable[[tuple[TaskSpec, int]], Trajectory | None]:
    """The job of :func:`run_local`: one episode on this thread's environment; ``None``
    once ``stop`` is set (an episode cut short is not recorded)."""

    def one(job: tuple[TaskSpec, int]) -> Trajectory | None:
        task, sample = job
        if stop.is_set():
            return None
        on_start(task.full_id, sample)
        traj = run_job(
            lambda: StoppableEnv(envs.get(), stop),
            task,
            make_policy,
            sample,
            agent=agent,
            retries=retries,
        )
        return None if stop.is_set() else traj

    return one


def run_local(
    config: SWEEnvConfig,
    tasks: list[TaskSpec],
    make_policy: PolicyFactory,
    out_dir: Path,
    *,
    samples: int = 1,
    concurrency: int = 2,
    agent: AgentConfig | None = None,
    retries: int = 2,
    make_env: Callable[[SWEEnvConfig], Any] = SWEEnv,
    on_start: Callable[[str, int], None] = lambda task, sample: None,
    on_done: Callable[[Trajectory], None] = lambda traj: None,
    warm_pool: bool = False,
) -> list[Trajectory]:
    """Run ``len(tasks) * samples`` episodes, ``concurrency`` at a time.

    ``warm_pool`` (default ``make_env`` only): the next ``concurrency`` jobs'
    containers start while the current ones run (:func:`_looking_ahead`); off by default
    (engine-bound runs measured slower with it, see README).

    Finished trajectories are appended to ``out_dir/trajectories.jsonl`` as they
    complete; pairs already there are skipped, so a rerun resumes. ``make_policy(task)``
    makes one policy per episode; ``make_env(config)`` one environment per thread.

    On Ctrl-C (KeyboardInterrupt) the run stops within seconds: queued episodes never
    start, running ones are cut short (their containers removed) and not recorded,
    finished ones are on disk; the interrupt is re-raised. A rerun runs the rest.
    """
    writer = TrajectoryWriter(out_dir)
    jobs = pending_jobs(writer, tasks, samples)
    results: list[Trajectory] = []
    provider = None
    if warm_pool and make_env is SWEEnv:
        provider = SandboxProvider(config.sandbox, pool_size=concurrency, pool_demand_only=True)
        make_env = partial(SWEEnv, provider=provider)
        on_start = _looking_ahead(provider, jobs, concurrency, on_start)
    envs = ThreadEnvs(config, make_env)
    stop = threading.Event()
    one = _episode_job(envs, stop, make_policy, on_start, agent, retries)

    def keep(traj: Trajectory) -> None:
        writer.write(traj)
        results.append(traj)
        on_done(traj)

    try:
        run_jobs(
            one,
            jobs,
            keep,
            workers=concurrency,
            stop=stop,
            docker_host=config.sandbox.docker_host,
        )
    finally:
        envs.close()
        if provider is not None:
            provider.close()  # removes the pool's unused containers
    return results


def _looking_ahead(
    provider: SandboxProvider,
    jobs: list[tuple[TaskSpec, int]],
    ahead: int,
    on_start: Callable[[str, int], None],
) -> Callable[[str, int], None]:
    """``on_start`` that also announces, as job i starts, job i + ``ahead`` to the warm
    pool: its container starts while the running episodes work, and its reset only
    takes it over. Only announced jobs get containers, so none sits unused."""
    from swe_env.images.build import instance_tag

    index = {(task.full_id, sample): i for i, (task, sample) in enumerate(jobs)}
    tags: dict[str, str] = {}

    def started(task_id: str, sample: int) -> None:
        i = index.get((task_id, sample))
        if i is not None and i + ahead < len(jobs):
            task = jobs[i + ahead][0]
            if task.full_id not in tags:
                tags[task.full_id] = instance_tag(task)
            provider.expect(tags[task.full_id], task=task.full_id)
        on_start(task_id, sample)

    return started
