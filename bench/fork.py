"""Snapshot and k=8 fork of a demo episode carrying a 50 MB change, against 8 plain
resets (new episodes of the same task from its instance image) measured in the same run.

value: seconds from "parent episode live" to "8 forks ready" (the snapshot included);
baseline: seconds for 8 plain resets, one after another, each a fresh container
(`docker run`-like); ratio = baseline / value. The snapshot alone is reported too.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.env import SWEEnv
from swe_env.images.build import ensure_images
from swe_env.sandbox.docker import docker_client
from swe_env.tasks import find_task

TASK = "demo/textkit-slug-trailing-separator"
K = 8
CHANGE = "head -c 50000000 /dev/urandom > /testbed/blob.bin && echo ok"


def timed_fork(env: SWEEnv) -> tuple[float, float, list[SWEEnv]]:
    """(snapshot seconds, snapshot + fork seconds, the forks)."""
    started = time.perf_counter()
    env.snapshot()
    snapshot = time.perf_counter() - started
    started = time.perf_counter()
    forks = env.fork(K)  # a second snapshot and K starts, as a user's fork(8) costs
    return snapshot, time.perf_counter() - started, forks


def plain_resets() -> float:
    env = SWEEnv(suite="demo", task_ids=[TASK])
    try:
        env.reset(options={"task_id": TASK})  # warm-up: image and client ready
        started = time.perf_counter()
        for _ in range(K):
            env.reset(options={"task_id": TASK})
        return time.perf_counter() - started
    finally:
        env.close()


def main() -> None:
    ensure_images([find_task(TASK)], docker_client())
    env = SWEEnv(suite="demo", task_ids=[TASK])
    forks: list[SWEEnv] = []
    try:
        env.reset(options={"task_id": TASK})
        assert env.step({"name": "bash", "arguments": {"command": CHANGE}})[0].strip() == "ok"
        snapshot, fork, forks = timed_fork(env)
        seen = forks[-1].step({"name": "bash", "arguments": {"command": "stat -c %s blob.bin"}})
        assert seen[0].strip() == "50000000", seen[0]
    finally:
        for child in forks:
            child.close()
        env.close()
    baseline = plain_resets()
    print(f"snapshot {snapshot:.2f} s; snapshot + fork({K}) {fork:.2f} s; {K} resets", end=" ")
    print(f"{baseline:.2f} s")
    report("fork", fork, "s", baseline, baseline / fork, k=K, snapshot_s=round(snapshot, 3))


if __name__ == "__main__":
    main()
