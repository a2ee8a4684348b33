"""Run jobs on a thread pool and stop promptly on Ctrl-C, keeping what finished.

Without care, Ctrl-C during a pool's run waits for every queued job (the pool's
``shutdown(wait=True)``), then drops their results. :func:`run_jobs` instead, on an
interrupt:

1. sets ``stop`` (jobs check it and discard what they were doing), and cancels the
   queued jobs;
2. hands the caller every result that finished before the interrupt;
3. removes the containers this process started (episodes, gradings), so running jobs
   fail fast instead of running to the end, and waits a little for them;
4. re-raises the interrupt.

A job's result is kept only if the job finished before ``stop`` was set: anything that
ran on while containers were being removed could carry a wrong grade.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class RunInterrupted(Exception):
    """The run is stopping: an episode still running gives up at its next step."""


class StoppableEnv:
    """An environment that refuses to reset or step once ``stop`` is set."""

    def __init__(self, env: Any, stop: threading.Event) -> None:
        self._env = env
        self._stop = stop

    def reset(self, *args: Any, **kwargs: Any) -> Any:
        if self._stop.is_set():
            raise RunInterrupted("the run was interrupted")
        return self._env.reset(*args, **kwargs)

    def step(self, action: Any) -> Any:
        if self._stop.is_set():
            raise RunInterrupted("the run was interrupted")
        return self._env.step(action)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


def remove_own_containers(docker_host: str | None = None) -> int:
    """Remove every container this process started on this host; returns how many."""
    import os

    from swe_env.sandbox.config import DockerSandboxConfig
    from swe_env.sandbox.provider import SandboxProvider

    with SandboxProvider(DockerSandboxConfig(docker_host=docker_host)) as provider:
        return provider.reap([os.getpid()])


def run_jobs(
    fn: Callable[[T], R | None],
    items: Iterable[T],
    on_result: Callable[[R], None],
    *,
    workers: int,
    stop: threading.Event,
    docker_host: str | None = None,
    grace: float = 10.0,
) -> None:
    """Call ``fn(item)`` for every item on ``workers`` threads; ``on_result(result)`` runs
    in the calling thread as each finishes (``None`` results are skipped).

    ``fn`` must return ``None`` when ``stop`` was set before it finished. On an
    interrupt (any BaseException in the calling thread, Ctrl-C included) the run stops
    as the module docstring says, waiting at most ``grace`` seconds for running jobs.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="swe-env-job")
    pending: set[Future] = set()
    try:
        pending = {pool.submit(fn, item) for item in items}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if (result := future.result()) is not None:
                    on_result(result)
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        _keep_finished(pending, on_result)
        _stop_running(pending, docker_host, grace)
        raise
    pool.shutdown(wait=True)


def _keep_finished(futures: set[Future], on_result: Callable[[Any], None]) -> None:
    for future in list(futures):
        if future.done() and not future.cancelled() and future.exception() is None:
            futures.discard(future)
            if (result := future.result()) is not None:
                with contextlib.suppress(Exception):
                    on_result(result)


def _stop_running(futures: set[Future], docker_host: str | None, grace: float) -> None:
    running = [f for f in futures if not f.done()]
    if not running:
        return
    for attempt in range(2):  # again after the wait: a container created meanwhile
        try:
            remove_own_containers(docker_host)
        except Exception as exc:
            log.warning("removing this run's containers failed: %s", exc)
        if attempt == 0:
            wait(running, timeout=grace)
