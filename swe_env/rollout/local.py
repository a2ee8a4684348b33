"""The local runner: N concurrent episodes on one machine, streamed to disk."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from swe_env.env import SWEEnv, SWEEnvConfig
from swe_env.rollout.episode import run_with_retries
from swe_env.rollout.trajectory import Trajectory, TrajectoryWriter
from swe_env.tasks.spec import TaskSpec

PolicyFactory = Callable[[TaskSpec], Any]


def run_local(
    config: SWEEnvConfig,
    tasks: list[TaskSpec],
    make_policy: PolicyFactory,
    out_dir: Path,
    *,
    samples: int = 1,
    concurrency: int = 2,
    on_start: Callable[[str, int], None] = lambda task, sample: None,
    on_done: Callable[[Trajectory], None] = lambda traj: None,
) -> list[Trajectory]:
    """Run ``len(tasks) * samples`` episodes, ``concurrency`` at a time.

    Finished trajectories are appended to ``out_dir/trajectories.jsonl`` as they
    complete; pairs already there are skipped, so a rerun resumes.
    """
    writer = TrajectoryWriter(out_dir)
    jobs = [(t, k) for t in tasks for k in range(samples) if not writer.done(t.full_id, k)]
    results: list[Trajectory] = []

    def one(task: TaskSpec, sample: int) -> Trajectory:
        on_start(task.full_id, sample)
        env_config = config.model_copy(update={"task_ids": [task.full_id]})
        return run_with_retries(
            lambda: SWEEnv(env_config), lambda: make_policy(task), task.full_id, sample=sample
        )

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(one, task, sample) for task, sample in jobs]
        for future in as_completed(futures):
            traj = future.result()
            writer.write(traj)
            results.append(traj)
            on_done(traj)
    return results
