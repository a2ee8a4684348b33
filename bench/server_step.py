"""Median step round trip over HTTP (service + RemoteSWEEnv) vs an in-process SWEEnv step.

Both run a `true` bash step on the same demo task. The service is `swe-env serve` in its
own process on a loopback port, as deployed; the client is RemoteSWEEnv (httpx, retries,
an Idempotency-Key per step). ratio = baseline / value (the in-process share of the
round trip). The two are measured in alternating batches of 25 steps, so a varying
machine load weighs on both alike. Goal: value - baseline <= 3 ms.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.client import RemoteSWEEnv
from swe_env.env import SWEEnv
from swe_env.images.build import ensure_images
from swe_env.sandbox.docker import docker_client
from swe_env.server.live import free_port
from swe_env.tasks import find_task

TASK = "demo/textkit-slug-trailing-separator"
ACTION = {"name": "bash", "arguments": {"command": "true"}}
N = 400
TOKEN = "bench"


def start_service() -> tuple[subprocess.Popen, str]:
    port = free_port()
    argv = [sys.executable, "-m", "swe_env", "serve", "--port", str(port)]
    argv += ["--service-name", "bench-server-step", "--log-level", "warning"]
    proc = subprocess.Popen(
        argv,
        env={**os.environ, "SWE_ENV_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("swe-env serve did not start")


def interleaved_medians(
    local: Callable[[], object], remote: Callable[[], object], rounds: int, batch: int
) -> tuple[float, float]:
    """Median seconds of each, measured in alternating batches (fair under a varying load)."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for fn, out in ((local, samples[0]), (remote, samples[1])):
            for _ in range(batch):
                started = time.perf_counter()
                fn()
                out.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main() -> None:
    ensure_images([find_task(TASK)], docker_client())
    proc, url = start_service()
    env = SWEEnv(suite="demo", max_turns=10 * N)
    remote = RemoteSWEEnv(url, token=TOKEN, config={"max_turns": 10 * N})
    try:
        env.reset(options={"task_id": TASK})
        remote.reset(options={"task_id": TASK})
        for _ in range(20):  # warm-up
            env.step(ACTION)
            remote.step(ACTION)
        baseline, value = interleaved_medians(
            lambda: env.step(ACTION), lambda: remote.step(ACTION), rounds=N // 25, batch=25
        )
    finally:
        env.close()
        remote.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    overhead = (value - baseline) * 1e3
    print(
        f"step over HTTP: {value * 1e3:.3f} ms; in-process: {baseline * 1e3:.3f} ms; "
        f"overhead {overhead:.3f} ms (goal <= 3 ms)"
    )
    report(
        "server_step",
        value * 1e3,
        "ms",
        baseline * 1e3,
        baseline / value,
        overhead_ms=round(overhead, 3),
    )


if __name__ == "__main__":
    main()
