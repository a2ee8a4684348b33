"""Median round trip of `true` through the bash tool vs a fresh `exec_run` of `true`.

ratio = baseline / value (higher is better). Goal: value <= 1 ms and ratio >= 30.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import base_image, median_time, report

from swe_env.sandbox.docker import DockerSandbox
from swe_env.tools import execute
from swe_env.tools.base import ToolContext


def main() -> None:
    client, image = base_image()
    with DockerSandbox(image, client=client, task="bench") as sandbox:
        ctx = ToolContext(repo_root="/testbed", base_commit="HEAD")
        action = {"name": "bash", "arguments": {"command": "true"}}
        value = median_time(lambda: execute(sandbox, action, ctx), n=500)
        container = client.containers.get(sandbox.id)
        baseline = median_time(lambda: container.exec_run(["true"]), n=50)
    print(f"bash tool round trip: {value * 1e3:.3f} ms; exec_run: {baseline * 1e3:.1f} ms")
    report("step_overhead", value * 1e3, "ms", baseline * 1e3, baseline / value)


if __name__ == "__main__":
    main()
