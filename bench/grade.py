"""Median time of grade() on a demo task vs. running the same test command in a container
that is already up. value and baseline in seconds; goal: value - baseline <= 0.5 s.

value uses a SandboxPool (pre-started fresh containers, background removal), as
`swe-env evaluate` and the environment do; the cold figure (a container started and
removed inside grade()) is reported too, as `cold`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from rewards.grade import grade
from swe_env.images.build import ensure_images, instance_tag
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import DockerSandbox, docker_client
from swe_env.sandbox.pool import SandboxPool
from swe_env.tasks import find_task

TASK = "demo/inicfg-delimiter-in-value"
N = 9


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    client = docker_client()
    task = find_task(TASK)
    ensure_images([task], client)
    config = DockerSandboxConfig(command_timeout=600)

    # Baseline: the same test command (same report flags), in a container that is already
    # up and prepared, run once per container as grading does (a first run in a fresh
    # container is slower than a repeat: cold file caches in the new overlay).
    cmd = f"{task.environment.test_cmd} --junitxml=/tmp/r.xml -o junit_family=xunit1"
    base_samples = []
    for _ in range(N):
        with DockerSandbox(instance_tag(task), config, client=client) as sb:
            sb.write_file("/tmp/gold.patch", task.gold_patch.encode())
            sb.run("cd /testbed && git apply /tmp/gold.patch")
            for rel, content in task.hidden_tests.items():
                sb.write_file(f"/testbed/{rel}", content.encode())
            time.sleep(1.0)
            t0 = time.perf_counter()
            sb.run(f"cd /testbed && {cmd} > /tmp/log 2>&1")
            base_samples.append(time.perf_counter() - t0)
    baseline = median(base_samples)

    cold = []
    for _ in range(5):
        t0 = time.perf_counter()
        assert grade(task, task.gold_patch, client=client, sandbox_config=config).resolved
        cold.append(time.perf_counter() - t0)

    warm = []
    with SandboxPool(client, size=1) as pool:
        pool.warm(instance_tag(task), config, task=task.full_id)
        for _ in range(N):
            time.sleep(2.0)  # steady state: refill and removal finish between gradings
            t0 = time.perf_counter()
            g = grade(task, task.gold_patch, client=client, sandbox_config=config, pool=pool)
            warm.append(time.perf_counter() - t0)
            assert g.resolved
    value = median(warm)
    print(
        f"grade() pooled {value:.3f}s, cold {median(cold):.3f}s; "
        f"test command alone {baseline:.3f}s; overhead {value - baseline:.3f}s"
    )
    report(
        "grade", value, "s", baseline, baseline / value,
        overhead=round(value - baseline, 3), cold=round(median(cold), 3),
    )  # fmt: skip


if __name__ == "__main__":
    main()
