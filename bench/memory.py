"""Host-side RSS per open sandbox with 50 open. Goal: <= 5 MB each."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import base_image, report

from swe_env.sandbox.docker import DockerSandbox

N = 50


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    client, image = base_image()
    warm = DockerSandbox(image, client=client, task="bench")  # import + pool warm-up
    warm.run("true")
    gc.collect()
    before = rss_bytes()
    sandboxes = []
    try:
        for _ in range(N):
            sandbox = DockerSandbox(image, client=client, task="bench")
            sandbox.run("echo ready")
            sandboxes.append(sandbox)
        gc.collect()
        after = rss_bytes()
    finally:
        for sandbox in [warm, *sandboxes]:
            sandbox.close()
    per = (after - before) / N / 1e6
    print(f"RSS before {before / 1e6:.1f} MB, with {N} open {after / 1e6:.1f} MB")
    report("memory_per_sandbox", per, "MB", None, None, open_sandboxes=N)


if __name__ == "__main__":
    main()
