"""Throughput of 2 worker nodes against 1, on the multi-node test cluster, in one run.

Workload: demo tasks with the replay policy and a think time per action (a model's
latency: the episode waits, the node does not work), ``PER_NODE`` episodes at once on
each node, graded. First a warm-up on both nodes (each node builds or finds its images),
then the same number of episodes on one node (``node:IP`` resource), then on both.
The host's CPU is sampled from /proc/stat during each timed run: with 2 shared cores
for the whole cluster, the ratio is near 2 only while the think time dominates.

value: episodes/min on 2 nodes; baseline: episodes/min on 1 node; ratio = value /
baseline (goal >= 1.8 when not bounded by the shared cores).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import ray
from _common import report

from swe_env.cluster.local import ClusterConfig, LocalCluster
from swe_env.env import SWEEnvConfig
from swe_env.policy.replay import ReplayPolicy
from swe_env.rollout.ray_runner import RayRunner, RayRunnerConfig
from swe_env.tasks import load_suite


class CpuMeter:
    """The host's busy share of all cores while it runs (from /proc/stat)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def _run(self) -> None:
        busy0, total0 = self._read()
        while not self._stop.wait(1.0):
            busy1, total1 = self._read()
            if total1 > total0:
                self.samples.append((busy1 - busy0) / (total1 - total0))
            busy0, total0 = busy1, total1

    def __enter__(self) -> CpuMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0


def timed(
    cluster: LocalCluster, tasks: list, samples: int, per_node: int, think: float, resource: str
) -> tuple[float, float, int]:
    config = RayRunnerConfig(address=cluster.address, per_node=per_node, node_resource=resource)
    runner = RayRunner(
        SWEEnvConfig(suite="demo", grade_timeout=300),
        partial(ReplayPolicy, think_seconds=think),
        ray_config=config,
    )
    with tempfile.TemporaryDirectory() as out, CpuMeter() as cpu:
        started = time.monotonic()
        done = runner.run(tasks, Path(out), samples=samples)
        elapsed = time.monotonic() - started
    bad = [t for t in done if t.status != "ok" or not t.resolved]
    if bad:
        raise SystemExit(f"{len(bad)} episode(s) failed: {bad[0].infra_errors}")
    return len(done) / elapsed * 60, cpu.mean, len(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default="swe-env-bench", help="the cluster (started if down)")
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--per-node", type=int, default=4)
    parser.add_argument("--think", type=float, default=3.0, help="seconds per action")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    cluster = LocalCluster(ClusterConfig(name=args.name, workers=2))
    cluster.up(progress=lambda line: print(line[-120:], flush=True), timeout=900)
    tasks = load_suite("demo")[: args.tasks]
    first = cluster.node(cluster.worker_names[0]).ip
    try:
        timed(cluster, tasks, 1, args.per_node, 0.0, "swe_env")  # warm-up: images on both
        one, cpu_one, n = timed(
            cluster, tasks, args.samples, args.per_node, args.think, f"node:{first}"
        )
        print(f"1 node:  {one:.1f} episodes/min, host CPU {cpu_one:.0%}", flush=True)
        two, cpu_two, _ = timed(cluster, tasks, args.samples, args.per_node, args.think, "swe_env")
        print(f"2 nodes: {two:.1f} episodes/min, host CPU {cpu_two:.0%}", flush=True)
    finally:
        ray.shutdown()
        if not args.keep:
            cluster.down()
    # Busy above 80 % in either run: the shared cores, not the think time, set the pace.
    busy = max(cpu_one, cpu_two) > 0.8
    bound = "host CPU (2 shared cores)" if busy else "think time (policy latency)"
    report(
        "cluster_scaling", two, "episodes/min", one, two / one,
        episodes=n, per_node=args.per_node, think_seconds=args.think,
        host_cpu_one_node=round(cpu_one, 3), host_cpu_two_nodes=round(cpu_two, 3), bound=bound,
    )  # fmt: skip


if __name__ == "__main__":
    main()
