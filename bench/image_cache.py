"""Rebuilding the unchanged demo suite: hashing every task and finding every image.
Goal: <= 2 s. baseline: loading the suite alone (no Docker); ratio = baseline / value."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.images.build import ensure_images
from swe_env.sandbox.docker import docker_client
from swe_env.tasks import load_suite


def main() -> None:
    client = docker_client()
    ensure_images(load_suite("demo"), client)  # first build, if anything is missing
    t0 = time.perf_counter()
    tasks = load_suite("demo")
    baseline = time.perf_counter() - t0
    built: list[bool] = []
    t0 = time.perf_counter()
    ensure_images(load_suite("demo"), client, on_done=lambda tag, b: built.append(b))
    value = time.perf_counter() - t0
    assert not any(built), "an unchanged suite rebuilt something"
    print(f"rebuild of {len(tasks)} unchanged tasks: {value:.3f}s (load alone {baseline:.3f}s)")
    report("image_cache", value, "s", baseline, baseline / value, images=len(built))


if __name__ == "__main__":
    main()
