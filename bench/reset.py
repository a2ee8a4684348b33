"""Resets, cold and from the warm pool, against `docker run --rm IMAGE true`.

- cold: a new sandbox to its first command done (what every reset cost before the pool);
- warm: `SWEEnv.reset` of a demo task when the pool was told the reset is coming (as the
  local runner tells it, one job ahead): image lookup, hand-over, `git rev-parse`.

value = warm p50 (ms); baseline = `docker run --rm` (ms); ratio = baseline / value.
Goals: warm p50 under 20 ms; cold within 1.2x of `docker run`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import base_image, median_time, report

from swe_env.env import SWEEnv
from swe_env.images.build import ensure_images, instance_tag
from swe_env.sandbox.docker import DockerSandbox
from swe_env.sandbox.provider import SandboxProvider

N = 15
TASK = "demo/textkit-slug-trailing-separator"


def cold(client, image: str) -> float:
    opened: list[DockerSandbox] = []

    def new_sandbox() -> None:
        sandbox = DockerSandbox(image, client=client, task="bench")
        sandbox.run("true")
        opened.append(sandbox)

    try:
        return median_time(new_sandbox, n=N, warmup=2)
    finally:
        for sandbox in opened:
            sandbox.close()


def warm(client) -> list[float]:
    provider = SandboxProvider(client=client, pool_size=2)
    env = SWEEnv(suite="demo", provider=provider)
    task = next(t for t in env.tasks if t.full_id == TASK)
    ensure_images([task], client)
    tag = instance_tag(task)
    times = []
    try:
        provider.expect(tag, task=TASK)
        for _ in range(N + 2):
            time.sleep(1.5)  # the episode's work, during which the next container starts
            provider.expect(tag, task=TASK)
            t0 = time.perf_counter()
            env.reset(options={"task_id": TASK})
            times.append(time.perf_counter() - t0)
    finally:
        env.close()
        provider.close()
    return times[2:]


def main() -> None:
    client, image = base_image()
    cold_s = cold(client, image)
    warm_s = statistics.median(warm(client))
    baseline = median_time(
        lambda: client.containers.run(image, ["true"], remove=True, network_mode="none"),
        n=N,
        warmup=2,
    )
    print(
        f"warm-pool reset p50 {warm_s * 1e3:.1f} ms; cold sandbox to first command "
        f"{cold_s * 1e3:.0f} ms; docker run --rm true {baseline * 1e3:.0f} ms"
    )
    report(
        "reset",
        warm_s * 1e3,
        "ms",
        baseline * 1e3,
        baseline / warm_s,
        cold_ms=round(cold_s * 1e3, 1),
    )


if __name__ == "__main__":
    main()
