"""The Ray runner's driver with 1,000 episodes in flight (issue 14, "the driver at scale").

Workload: a local Ray node (no Docker) with the runner's one episode actor per node,
here ``IN_FLIGHT`` threads on the one node. Each episode is a fake environment (reset
and step cost nothing) and a scripted policy that thinks ``THINK`` seconds per turn for
``TURNS`` turns, then submits; the record is a full trajectory written by the driver.
The driver is this process: its CPU time (process_time) and memory growth (RSS) are
measured over the run.

value: episodes/s written; baseline: the ideal rate (in flight / episode length);
ratio = value / baseline (1.0: the driver is not the bottleneck). Extras: driver CPU
per in-flight episode (cores), driver memory per in-flight episode, records/s and
MB/s written.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import ray
from _common import report

from swe_env.env import SWEEnvConfig
from swe_env.rollout.ray_runner import RayRunner, RayRunnerConfig
from swe_env.tasks import load_suite


class FakeEnv:
    """Reset and step with no sandbox; ``submit`` ends the episode, resolved."""

    def __init__(self, config: SWEEnvConfig) -> None:
        self.config = config
        self.tasks: list[Any] = []
        self.turn = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        self.turn = 0
        return "problem statement " * 40, {"task_id": (options or {})["task_id"]}

    def step(self, action: dict) -> tuple[str, float, bool, bool, dict]:
        self.turn += 1
        done = action.get("name") == "submit"
        info: dict[str, Any] = {"turn": self.turn, "ok": True}
        if done:
            info.update(patch="--- a/x\n+++ b/x\n", grade={"resolved": True})
        return "output line\n" * 20, 1.0 if done else 0.0, done, False, info

    def close(self) -> None:
        pass


class ThinkingPolicy:
    name = "scripted"
    model = "think"

    def __init__(self, task: Any, think: float = 1.0, turns: int = 10) -> None:
        self.think, self.turns, self.done = think, turns, 0

    def act(self, observation: str, info: dict) -> dict:
        time.sleep(self.think)
        self.done += 1
        if self.done >= self.turns:
            return {"name": "submit", "arguments": {}}
        return {"name": "bash", "arguments": {"command": "ls"}}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument("--episodes", type=int, default=4000)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    tasks = load_suite("demo")
    samples = -(-args.episodes // len(tasks))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        from functools import partial

        policy = partial(ThinkingPolicy, think=args.think, turns=args.turns)
        config = RayRunnerConfig(per_node=args.in_flight, start_timeout=300)
        runner = RayRunner(SWEEnvConfig(), policy, retries=0, ray_config=config, make_env=FakeEnv)
        with tempfile.TemporaryDirectory() as out:
            rss0, cpu0, started = rss_mb(), time.process_time(), time.monotonic()
            done = runner.run(tasks, Path(out), samples=samples)
            elapsed = time.monotonic() - started
            cpu = time.process_time() - cpu0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            written = (Path(out) / "trajectories.jsonl").stat().st_size
    finally:
        ray.shutdown()
    bad = [t for t in done if t.status != "ok" or not t.resolved]
    if bad:
        raise SystemExit(f"{len(bad)} episode(s) failed: {bad[0].infra_errors}")
    rate = len(done) / elapsed
    ideal = args.in_flight / (args.think * args.turns)
    cores = cpu / elapsed
    print(f"{len(done)} episodes in {elapsed:.1f} s: {rate:.1f}/s (ideal {ideal:.1f}/s)")
    print(f"driver: {cores:.2f} cores, RSS {rss0:.0f} -> peak {peak:.0f} MB")
    report(
        "driver_scale", rate, "episodes/s", ideal, rate / ideal,
        in_flight=args.in_flight, episodes=len(done),
        driver_cores=round(cores, 3),
        driver_millicores_per_in_flight=round(cores * 1000 / args.in_flight, 3),
        driver_peak_rss_mb=round(peak, 1),
        driver_kb_per_in_flight=round((peak - rss0) * 1024 / args.in_flight, 1),
        write_mb_per_s=round(written / 1e6 / elapsed, 3),
    )  # fmt: skip


if __name__ == "__main__":
    main()
