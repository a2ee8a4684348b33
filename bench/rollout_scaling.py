"""Episodes per minute of the local runner at concurrency 1, 8, 32 and 64.

The policy is a scripted OpenAI-compatible server on a loopback port that answers every
request after 200 ms with a ``bash true`` tool call (with logprobs), through the real
client, chat adapter, agent loop and SWEEnv (a fresh container per episode). Episodes are
``STEPS`` turns long and end truncated by ``max_turns``: no grading, so the figure is
the rollout machinery's, not the hidden tests'.

The runner's default warm pool is on (``--compare-pool`` also runs 32 without it).

value: throughput at 32; baseline: 32 x the throughput at 1; ratio = value / baseline
(goal >= 0.8). Extras: ``ceiling_ratio``, the throughput at 32 over the engine's
ceiling (goal >= 0.9); every level's throughput and, at 64 concurrent episodes, the
peak memory with all 64 episodes alive (their first answers are held until every
container is up): this process's RSS, plus what the engine's processes grew by (a shim
and a storage helper per container), plus the containers' own memory (cgroup ``usage -
inactive_file``, as ``docker stats`` counts it); goal < 8 GB. Also the engine's ceiling:
container lifecycles per minute with nothing else running, which bounds any runner.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))  # support.scripted_server
from _common import report
from support.scripted_server import Reply, ScriptedChatServer, completion_body, tool_call

from swe_env.env import SWEEnvConfig
from swe_env.images.build import ensure_images, instance_tag
from swe_env.policy import AgentConfig, ChatPolicyFactory, PolicyConfig
from swe_env.rollout.local import run_local
from swe_env.sandbox.docker import LABEL_PREFIX, docker_client
from swe_env.tasks import load_suite

LATENCY = 0.2
STEPS = 5
CGROUP = Path("/sys/fs/cgroup/memory/docker")


def reply(request: dict) -> Reply:
    body = completion_body(None, [tool_call("bash", command="true")], token_ids=list(range(12)))
    return Reply(body, delay=LATENCY)


class Gate:
    """Holds every first answer until ``n`` episodes have asked (all containers are up),
    then calls ``on_full`` once before letting them go on."""

    def __init__(self, n: int, on_full: Callable[[], None]) -> None:
        self.n = n
        self.on_full = on_full
        self.seen = 0
        self.cond = threading.Condition()

    def __call__(self, request: dict) -> Reply:
        if not any(m.get("role") == "assistant" for m in request.get("messages", [])):
            with self.cond:
                self.seen += 1
                if self.seen == self.n:
                    self.on_full()
                    self.cond.notify_all()
                self.cond.wait_for(lambda: self.seen >= self.n, timeout=600)
        return reply(request)


def engine_ceiling(client, image: str, threads: int = 8, count: int = 32) -> float:
    """Container lifecycles per minute the engine sustains (start, one command, remove)."""
    from concurrent.futures import ThreadPoolExecutor

    from swe_env.sandbox.docker import DockerSandbox

    def life(_: int) -> None:
        with DockerSandbox(image, client=client, task="bench") as sandbox:
            sandbox.run("git -C /testbed rev-parse HEAD")

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(life, range(count)))
    return count / (time.monotonic() - started) * 60


def rss(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


ENGINE = {"dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "fuse-overlayfs"}


def engine_rss() -> int:
    """RSS of the engine's processes: daemons, one shim (and storage helper) per container."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() in ENGINE:
                total += rss(proc.name)
        except OSError:
            continue
    return total


def container_memory(ids: list[str]) -> int:
    """Sum of the containers' memory as docker stats counts it (cgroup v1 or v2)."""
    total = 0
    for cid in ids:
        v1 = CGROUP / cid
        v2 = Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope")
        try:
            if v1.exists():
                usage = int((v1 / "memory.usage_in_bytes").read_text())
                stat = (v1 / "memory.stat").read_text().split()
                inactive = dict(zip(stat[::2], stat[1::2], strict=False)).get(
                    "total_inactive_file", "0"
                )
            else:
                usage = int((v2 / "memory.current").read_text())
                stat = (v2 / "memory.stat").read_text().split()
                inactive = dict(zip(stat[::2], stat[1::2], strict=False)).get("inactive_file", "0")
            total += max(0, usage - int(inactive))
        except (OSError, ValueError):
            continue  # the container is going away
    return total


class MemorySampler:
    """Host memory (this process's RSS + the engine's growth since creation) plus the
    memory of this process's containers, at the moment :meth:`sample` is called."""

    def __init__(self, client) -> None:
        self.client = client
        self.engine_before = engine_rss()
        self.total = self.host = self.containers = self.count = 0

    def sample(self) -> None:
        labels = [f"{LABEL_PREFIX}.owner-pid={os.getpid()}"]
        ids = [c.id for c in self.client.containers.list(filters={"label": labels})]
        self.host = rss() + max(0, engine_rss() - self.engine_before)
        self.containers = container_memory(ids)
        self.total, self.count = self.host + self.containers, len(ids)


def run_level(
    url: str, tasks: list, concurrency: int, episodes: int, steps: int, warm_pool: bool = True
) -> float:
    """Episodes per minute for ``episodes`` episodes, ``concurrency`` at a time."""
    policy = PolicyConfig(base_url=url, model="scripted", max_concurrency=256, timeout=900)
    make = ChatPolicyFactory(policy, AgentConfig())
    config = SWEEnvConfig(suite="demo", max_turns=steps)
    samples = math.ceil(episodes / len(tasks))
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        results = run_local(
            config,
            tasks,
            make,
            Path(out),
            samples=samples,
            concurrency=concurrency,
            retries=0,
            warm_pool=warm_pool,
        )
        elapsed = time.monotonic() - started
    make.close()
    bad = [t for t in results if t.status != "ok" or t.turns != steps]
    if bad:
        raise SystemExit(f"{len(bad)} episode(s) failed: {bad[0].infra_errors}")
    return len(results) / elapsed * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=STEPS, help="bash turns per episode")
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--waves", type=int, default=2, help="episodes = waves x concurrency")
    parser.add_argument("--memory-at", type=int, default=64, help="0 skips the memory phase")
    parser.add_argument(
        "--compare-pool", action="store_true", help="also run 32 at once without the warm pool"
    )
    args = parser.parse_args()
    client = docker_client()
    tasks = load_suite("demo")
    ensure_images(tasks, client)
    levels = [int(x) for x in args.levels.split(",")]
    throughput: dict[int, float] = {}
    with ScriptedChatServer(reply) as server:
        run_level(server.url, tasks, 4, 4, 2)  # warm-up: imports, page cache
        for level in levels:
            episodes = max(4, args.waves * level)
            throughput[level] = run_level(server.url, tasks, level, episodes, args.steps)
            print(f"concurrency {level:3d}: {throughput[level]:7.1f} episodes/min", flush=True)
        if args.compare_pool:
            no_pool = run_level(server.url, tasks, 32, args.waves * 32, args.steps, False)
            print(f"concurrency  32 without the warm pool: {no_pool:7.1f} episodes/min")
    ceiling = engine_ceiling(client, instance_tag(tasks[0]))
    print(f"engine ceiling: {ceiling:.1f} container lifecycles/min", flush=True)
    one, value = throughput.get(1, 0.0), throughput.get(32, 0.0)
    baseline = 32 * one
    extra: dict[str, object] = {
        f"eps_per_min_c{k}": round(v, 1) for k, v in sorted(throughput.items())
    }
    if args.compare_pool:
        extra["eps_per_min_c32_no_pool"] = round(no_pool, 1)
    extra.update(
        steps=args.steps,
        policy_latency_s=LATENCY,
        engine_ceiling_eps_per_min=round(ceiling, 1),
        ratio_vs_reachable=round(value / min(baseline, ceiling), 3) if baseline else None,
        # the throughput at 32 as a share of the engine's container churn (goal >= 0.9)
        ceiling_ratio=round(value / ceiling, 3) if ceiling else None,
    )
    if args.memory_at:
        n = args.memory_at
        memory = MemorySampler(client)
        with ScriptedChatServer(Gate(n, memory.sample)) as server:
            run_level(server.url, tasks, n, n, 2)
        extra.update(
            mem_concurrency=n,
            mem_containers_alive=memory.count,
            mem_total_gb=round(memory.total / 1e9, 3),
            mem_host_rss_gb=round(memory.host / 1e9, 3),
            mem_containers_gb=round(memory.containers / 1e9, 3),
        )
        print(
            f"memory with {memory.count} episodes alive: {memory.total / 1e9:.2f} GB "
            f"(host RSS {memory.host / 1e9:.2f} + containers {memory.containers / 1e9:.2f})"
        )
    report(
        "rollout_scaling",
        value,
        "episodes/min",
        baseline,
        value / baseline if baseline else None,
        **extra,
    )


if __name__ == "__main__":
    main()
