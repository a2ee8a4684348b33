"""Mutate-fix throughput on a real project (a PyPI sdist with its tests, fetched with pip).

value: validated tasks per minute over a whole `make_tasks` run (environment, two baseline
runs, trace, candidates, writing, validation); baseline: the minutes of one plain run of the
project's suite in a fresh container (the first baseline run), measured in the same run;
ratio = validated tasks per plain suite run's time. Also reported: the share of candidates
kept and validated, and the drop reasons.

    python bench/factory.py [--max N] [--project NAME==VERSION] [--workers W]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.factory.mutate import make_tasks
from swe_env.sandbox.docker import docker_client


def fetch(project: str, where: Path) -> Path:
    """The project's sdist, unpacked."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
         "--quiet", project, "-d", str(where)],
        check=True,
    )  # fmt: skip
    with tarfile.open(next(where.glob("*.tar.gz"))) as tar:
        tar.extractall(where, filter="data")
    return next(p for p in where.iterdir() if p.is_dir())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=40)
    parser.add_argument("--project", default="more-itertools==10.5.0")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = fetch(args.project, Path(tmp))
        summary = make_tasks(
            repo, Path(tmp, "suite", "bench-factory"), docker_client(),
            max_candidates=args.max, workers=args.workers,
            on_progress=lambda m: print(m, file=sys.stderr),
        )  # fmt: skip
    minutes = summary.seconds / 60
    per_minute = summary.validated / minutes if minutes else 0.0
    report(
        "factory_validated_tasks_per_minute",
        per_minute,
        "tasks/min",
        summary.baseline_seconds / 60,
        per_minute * summary.baseline_seconds / 60,
        project=args.project,
        candidates=summary.candidates,
        kept=summary.kept,
        validated=summary.validated,
        kept_share=round(summary.kept / max(1, summary.candidates), 3),
        validated_share=round(summary.validated / max(1, summary.candidates), 3),
        seconds=round(summary.seconds, 1),
        drops=dict(summary.drops),
    )


if __name__ == "__main__":
    main()
