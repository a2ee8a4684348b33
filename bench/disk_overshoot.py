"""Worst overshoot past a 200 MiB disk budget, as the host sees the writable layer.

Attacks: one writer of 100 MB files, four in parallel, and many 64 KiB files; each
repeated. A spy thread runs ``du`` on the container's UpperDir every 10 ms. Baseline: the
layer the same writer leaves without a budget (1 GB, cut short to keep it quick).
ratio = baseline / value (higher is better).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import base_image, report

from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import DockerSandbox

MiB = 2**20
BUDGET = 200 * MiB
ONE = "for i in $(seq 1 50); do dd if=/dev/zero of=/tmp/f$i bs=1M count=100 status=none; done"
FOUR = "for j in 1 2 3 4; do (" + ONE.replace("/tmp/f$i", "/tmp/f$j.$i") + ") & done; wait"
SMALL = (
    "python3 -c \"import os\nfor d in range(100):\n  os.makedirs(f'/tmp/s/{d}')\n"
    "  for i in range(100): open(f'/tmp/s/{d}/{i}', 'wb').write(b'x' * 65536)\""
)
RUNS = 3


def peak_layer(client, image: str, command: str, budget: int | None) -> tuple[int, float]:
    """Peak bytes in the layer while ``command`` runs, and the write rate (bytes/s)."""
    config = DockerSandboxConfig(disk=budget, memory="1g", command_timeout=120)
    with DockerSandbox(image, config, client=client, task="bench-disk") as sandbox:
        upper = client.api.inspect_container(sandbox.id)["GraphDriver"]["Data"]["UpperDir"]
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def spy() -> None:
            while not stop.is_set():
                du = subprocess.run(["du", "-sB1", upper], capture_output=True, text=True)
                samples.append((time.monotonic(), int(du.stdout.split()[0])))
                time.sleep(0.01)

        thread = threading.Thread(target=spy, daemon=True)
        thread.start()
        sandbox.run(command)
        time.sleep(1.0)
        stop.set()
        thread.join()
    peak = max(used for _, used in samples)
    rising = [(t, u) for t, u in samples if 20 * MiB < u < min(peak, BUDGET)]
    rate = (rising[-1][1] - rising[0][1]) / (rising[-1][0] - rising[0][0]) if len(rising) > 1 else 0
    return peak, rate


def main() -> None:
    client, image = base_image()
    results = {}
    for name, command in (("one writer", ONE), ("four writers", FOUR), ("64 KiB files", SMALL)):
        runs = [peak_layer(client, image, command, BUDGET) for _ in range(RUNS)]
        worst = max(peak for peak, _ in runs) - BUDGET
        rate = max(r for _, r in runs)
        results[name] = (worst, rate)
        print(f"{name}: worst overshoot {worst / MiB:.1f} MiB at up to {rate / MiB:.0f} MiB/s")
    baseline, _ = peak_layer(client, image, ONE.replace("50", "10"), None)
    worst = max(w for w, _ in results.values())
    print(f"without a budget the same writer left {baseline / MiB:.0f} MiB (cut at 1 GB)")
    report(
        "disk_overshoot",
        worst / MiB,
        "MiB",
        (baseline - BUDGET) / MiB,
        (baseline - BUDGET) / max(worst, 1),
        **{k.replace(" ", "_"): round(v[0] / MiB, 1) for k, v in results.items()},
    )


if __name__ == "__main__":
    main()
