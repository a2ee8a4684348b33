"""swe-env against mini-swe-agent and SWE-ReX, side by side, in one interleaved run.

    python bench/peers.py                  # measure, write bench/results/peers.json
    python bench/peers.py --write-readme   # ... and regenerate the README's table

The peers' current releases (PINS) go into a throw-away venv (``~/.cache/swe-env/
peers-venv``, reused while the pins match) and run in a subprocess with that venv's
python (bench/peers_driver.py), so their dependencies never touch ours. SWE-ReX needs
its ``swerex-remote`` server inside the container: its image is built here from our
base image (one layer: ``pip install swe-rex`` with the base's pip.conf, which is the
host's), no registry needed. mini-swe-agent runs on the base image itself.

Measured round-robin (the order rotates every round, so load hits everyone alike):
- per command: ``echo hi``, ``true`` and 1 MiB of output, and what each returns;
- start to first command (``true``) done;
- teardown: from the stop call until the engine no longer knows the container.
For swe-env the command goes through the full ``SWEEnv.step`` (tool-call parsing, the
bash tool, observation, budgets); raw ``exec_run`` on the same container is a reference.

value = swe-env's median ``echo hi`` step (ms); baseline = the best peer's (ms);
ratio = baseline / value.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import base_image, report
from peers_contestants import Contestant, start_all
from peers_table import RECORD, render_table, write_readme

HERE = Path(__file__).resolve().parent

PINS = {"mini-swe-agent": "2.4.6", "swe-rex": "1.4.0"}
"""The peers' releases measured (their latest on PyPI when this was written)."""
VENV = Path(os.environ.get("SWE_ENV_PEERS_VENV", Path.home() / ".cache/swe-env/peers-venv"))
ONE_MIB = 1 << 20
COMMANDS = {
    "echo hi": "echo hi",
    "true": "true",
    "1 MiB output": f"yes 0123456789abcdef | head -c {ONE_MIB}",
}
SETUPS = {
    "swe-env": "1 CPU, 2 GiB memory (no swap), 512 pids, no network, 4 GiB disk budget; "
    "one persistent bash; output kept: 64 KiB (head and tail, middle cut with a marker)",
    "mini-swe-agent": "no limits, default network; `docker exec bash -lc` per command; "
    "the whole output returned (an agent's template may cut it later)",
    "swe-rex": "no limits, default network and a published port; one bash session in the "
    "in-container server over HTTP; the whole output returned",
    "exec_run": "reference: docker-py `exec_run(['sh', '-c', CMD])` on swe-env's container",
}


def ensure_venv(progress=print) -> Path:
    """The peers' venv with PINS installed; rebuilt when the pins changed."""
    stamp = VENV / "swe-env-pins.json"
    python = VENV / "bin/python"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == PINS:
        return python
    progress(f"installing {PINS} into {VENV}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    specs = [f"{name}=={version}" for name, version in PINS.items()]
    subprocess.run([str(python), "-m", "pip", "install", "-q", *specs], check=True)
    stamp.write_text(json.dumps(PINS))
    return python


def stats(samples: list[float], scale: float = 1e3) -> dict[str, float]:
    """Median, p10 and p90 (in ms by default) of ``samples``."""
    deciles = statistics.quantiles(samples, n=10, method="inclusive")
    return {
        "median": round(statistics.median(samples) * scale, 3),
        "p10": round(deciles[0] * scale, 3),
        "p90": round(deciles[-1] * scale, 3),
        "n": len(samples),
    }


def per_command(contestants: list[Contestant], rounds: int) -> dict[str, dict]:
    """Every command on every contestant, ``rounds`` times, the order rotated each round."""
    samples = {c.name: {k: [] for k in COMMANDS} for c in contestants}
    returned: dict[str, dict[str, dict]] = {c.name: {} for c in contestants}
    for r in range(rounds):
        order = contestants[r % len(contestants) :] + contestants[: r % len(contestants)]
        if r % 10 == 0:
            print(f"commands: round {r + 1}/{rounds}", file=sys.stderr, flush=True)
        for contestant in order:
            for label, command in COMMANDS.items():
                seconds, output, code = contestant.cmd(command)
                samples[contestant.name][label].append(seconds)
                returned[contestant.name][label] = {
                    "output_len": len(output) if isinstance(output, str) else output,
                    "head": (output[:40] if isinstance(output, str) else ""),
                    "returncode": code,
                }
    return {
        name: {label: {**stats(s), **returned[name][label]} for label, s in by.items()}
        for name, by in samples.items()
    }


def lifecycle(contestants: list[Contestant], rounds: int) -> dict[str, dict]:
    """Start to first command, and teardown until gone, ``rounds`` times each."""
    starts: dict[str, list[float]] = {c.name: [] for c in contestants}
    stops: dict[str, list[float]] = {c.name: [] for c in contestants}
    for r in range(rounds):
        order = contestants[r % len(contestants) :] + contestants[: r % len(contestants)]
        print(f"start and teardown: round {r + 1}/{rounds}", file=sys.stderr, flush=True)
        for contestant in order:
            starts[contestant.name].append(contestant.start())
            stops[contestant.name].append(contestant.stop())
    return {
        c.name: {"start": stats(starts[c.name], 1), "teardown": stats(stops[c.name], 1)}
        for c in contestants
    }


def machine(client) -> dict:
    info = client.info()
    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "docker": client.version().get("Version"),
        "storage_driver": info.get("Driver"),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def run(rounds: int, life_rounds: int) -> dict:
    client, base = base_image()
    python = ensure_venv()
    contestants = start_all(client, base, python, HERE / "peers_driver.py", PINS)
    try:
        commands = per_command(contestants, rounds)
    finally:
        for contestant in contestants:
            contestant.stop()
    lifecycle_contestants = [c for c in contestants if c.lifecycle]
    lives = lifecycle(lifecycle_contestants, life_rounds)
    for contestant in contestants:
        contestant.close()
    results = {name: {"commands": commands[name], **lives.get(name, {})} for name in commands}
    from swe_env import __version__

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": {"swe-env": __version__, **PINS, "python": platform.python_version()},
        "machine": machine(client),
        "rounds": {"commands": rounds, "lifecycle": life_rounds},
        "setups": SETUPS,
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="per-command rounds")
    parser.add_argument("--life-rounds", type=int, default=5, help="start/teardown rounds")
    parser.add_argument("--record", type=Path, default=RECORD, help="where to write the JSON")
    parser.add_argument(
        "--write-readme", action="store_true", help="regenerate the README's comparison table"
    )
    args = parser.parse_args()
    started = time.monotonic()
    record = run(args.rounds, args.life_rounds)
    record["seconds"] = round(time.monotonic() - started)
    ours = record["results"]["swe-env"]["commands"]["echo hi"]["median"]
    peers = {p: record["results"][p]["commands"]["echo hi"]["median"] for p in PINS}
    best = min(peers, key=peers.__getitem__)
    record["summary"] = {
        "step_ms": ours,
        "best_peer": best,
        "best_peer_step_ms": peers[best],
        "ratio": round(peers[best] / ours, 1),
    }
    args.record.parent.mkdir(parents=True, exist_ok=True)
    args.record.write_text(json.dumps(record, indent=2) + "\n")
    print(render_table(record))
    if args.write_readme:
        write_readme(record)
    report("peers_step", ours, "ms", peers[best], peers[best] / ours, best_peer=best)


if __name__ == "__main__":
    main()
