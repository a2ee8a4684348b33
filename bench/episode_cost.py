"""What one live episode costs the engine's host: memory and CPU, idle and running the
task's tests, and how fast the engine starts and removes episode containers (churn).

Workload: ``N`` sandboxes of a demo task's instance image (the same as episodes get:
limits, init, one persistent shell). Idle: their memory (cgroup usage, page cache
included, as the kernel charges it) and CPU over ``IDLE`` seconds. Tests: each runs the
task's test command at once; its CPU seconds and peak memory come from the container's
cgroup (docker stats). Churn: containers started and removed back to back, 1 and 4 at
a time, for ``CHURN`` seconds each.

value: MB per idle episode; baseline: MB per episode running tests; ratio = idle /
running. The rest are extras (docs/scaling.md uses them all).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.images.build import ensure_instance_image
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import DockerSandbox, docker_client
from swe_env.tasks import load_suite


def stats(client, sandbox) -> dict:
    return client.api.stats(sandbox.id, stream=False)


def mem_mb(s: dict) -> float:
    return s["memory_stats"].get("usage", 0) / 1e6


def peak_mb(s: dict) -> float:
    return s["memory_stats"].get("max_usage", s["memory_stats"].get("usage", 0)) / 1e6


def cpu_s(s: dict) -> float:
    return s["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9


def churn(client, image: str, workers: int, seconds: float) -> float:
    """Containers started and removed per second, ``workers`` at a time."""
    deadline = time.monotonic() + seconds
    counts = [0] * workers

    def loop(i: int) -> None:
        while time.monotonic() < deadline:
            c = client.containers.run(image, "true", detach=True, init=True, network_disabled=True)
            c.wait()
            c.remove(force=True)
            counts[i] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(loop, range(workers)))
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=8)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--churn", type=float, default=20.0)
    args = parser.parse_args()
    client = docker_client()
    task = next(t for t in load_suite("demo") if t.id == "inicfg-delimiter-in-value")
    image = ensure_instance_image(task, client)
    config = DockerSandboxConfig(memory="1g", command_timeout=300)
    boxes = [DockerSandbox(image, config, client=client, task="bench") for _ in range(args.n)]
    try:
        for box in boxes:
            box.run("true")
        before = [stats(client, b) for b in boxes]
        time.sleep(args.idle)
        after = [stats(client, b) for b in boxes]
        idle_mb = sum(mem_mb(s) for s in after) / args.n
        idle_cpu = sum(cpu_s(a) - cpu_s(b) for a, b in zip(after, before, strict=True))
        idle_cores = idle_cpu / args.idle / args.n
        started = time.monotonic()
        with ThreadPoolExecutor(args.n) as pool:
            runs = list(pool.map(lambda b: b.run(task.environment.test_cmd, timeout=300), boxes))
        wall = time.monotonic() - started
        done = [stats(client, b) for b in boxes]
        test_cpu = sum(cpu_s(d) - cpu_s(a) for d, a in zip(done, after, strict=True)) / args.n
        test_peak = sum(peak_mb(s) for s in done) / args.n
    finally:
        for box in boxes:
            box.close()
    assert all(r.output for r in runs)
    one = churn(client, image, 1, args.churn)
    four = churn(client, image, 4, args.churn)
    print(f"idle: {idle_mb:.1f} MB, {idle_cores * 1000:.2f} millicores per episode")
    print(
        f"tests: {test_cpu:.2f} CPU-s, peak {test_peak:.1f} MB per episode"
        f" ({args.n} at once, {wall:.1f} s)"
    )
    print(f"churn: {one:.2f}/s one at a time, {four:.2f}/s four at a time")
    report(
        "episode_cost", idle_mb, "MB", test_peak, idle_mb / test_peak,
        episodes=args.n, idle_millicores=round(idle_cores * 1000, 3),
        test_cpu_seconds=round(test_cpu, 3), test_wall_seconds=round(wall, 2),
        churn_per_s_1=round(one, 3), churn_per_s_4=round(four, 3),
    )  # fmt: skip


if __name__ == "__main__":
    main()
