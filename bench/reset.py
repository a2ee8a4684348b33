"""Median time from "image present" to "first command done" for a new sandbox,
against `docker run --rm IMAGE true` through the SDK. ratio = baseline / value.
Goal: ratio >= 0.83.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import base_image, median_time, report

from swe_env.sandbox.docker import DockerSandbox

N = 15


def main() -> None:
    client, image = base_image()
    opened: list[DockerSandbox] = []

    def new_sandbox() -> None:
        sandbox = DockerSandbox(image, client=client, task="bench")
        sandbox.run("true")
        opened.append(sandbox)

    def docker_run() -> None:
        client.containers.run(image, ["true"], remove=True, network_mode="none")

    try:
        value = median_time(new_sandbox, n=N, warmup=2)
    finally:
        for sandbox in opened:
            sandbox.close()
    baseline = median_time(docker_run, n=N, warmup=2)
    print(f"sandbox to first command: {value:.3f} s; docker run --rm true: {baseline:.3f} s")
    report("reset", value, "s", baseline, baseline / value)


if __name__ == "__main__":
    main()
