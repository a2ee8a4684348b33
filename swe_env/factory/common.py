"""What mutate-fix and mining share: the run's summary, task names that survive a resumed
run, the validation of written tasks (as ``swe-env tasks validate`` does it) and the
recording of every decision in the out directory's ledger (:mod:`.state`)."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swe_env.factory.state import VALIDATED, Ledger
from swe_env.factory.writer import candidate_of


@dataclass
class Summary:
    """candidates → kept → validated, with the drop reasons counted."""

    candidates: int = 0
    kept: int = 0
    validated: int = 0
    drops: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    baseline_seconds: float = 0.0
    """One plain run of the suite (the first baseline run)."""
    tasks: list[str] = field(default_factory=list)
    """Ids of the validated tasks."""
    resumed: int = 0
    """Candidates decided by an earlier run on the same out directory (not run again)."""

    def count(self, ledger: Ledger, chosen: Iterable[str]) -> None:
        """Fill the counts from ``ledger``, over the candidates ``chosen`` this run."""
        ids = set(chosen)
        entries = [e for c, e in ledger.entries.items() if c in ids]
        self.candidates = len(ids)
        self.kept = sum(1 for e in entries if e.get("task"))
        self.tasks = sorted(e["task"] for e in entries if e["outcome"] == VALIDATED)
        self.validated = len(self.tasks)
        self.drops = ledger.drops(ids)


def slug(raw: str, fallback: str = "task") -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("_.-")[:80] or fallback


def free_name(out: Path, base: str, candidate: str, used: set[str]) -> str:
    """A task directory name under ``out`` for ``candidate``: ``base``, else ``base-2``…;
    a directory this candidate left by an interrupted run is taken back (and emptied)."""
    name, i = base, 2
    while True:
        path = out / name
        if name not in used:
            if not path.exists():
                break
            if candidate_of(path) == candidate:
                shutil.rmtree(path)
                break
        name, i = f"{base}-{i}", i + 1
    used.add(name)
    return name


def validate_written(out: Path, ids: list[str], client: Any, workers: int) -> dict[str, str | None]:
    """Validate the new tasks (name → ``None`` when sound, else the reason); quarantine the
    broken ones. Infrastructure faults are reasons too (the candidate is decided)."""
    from swe_env.rollout.validate import validate_tasks
    from swe_env.tasks.native import load_suite
    from swe_env.tasks.quarantine import update_quarantine

    wanted = set(ids)
    tasks = [t for t in load_suite(str(out), include_quarantined=True) if t.id in wanted]
    results = validate_tasks(tasks, client, workers=workers)
    named = {v.task_id.rpartition("/")[2]: v for v in results}
    bad = {n: v.reason for n, v in named.items() if v.reason and not v.infra}
    update_quarantine(out, bad, [n for n, v in named.items() if v.ok])  # type: ignore[arg-type]
    return {n: v.reason for n, v in named.items()}


def record_validation(
    ledger: Ledger, results: dict[str, str | None], written: dict[str, tuple[str, Any]]
) -> None:
    """Record each written task's candidate (``written``: name → (candidate, dedup key))."""
    for name, (candidate, key) in written.items():
        reason = results.get(name, "the task did not load")
        outcome = VALIDATED if reason is None else "validation: " + reason.split(":")[0]
        ledger.record(candidate, outcome, task=name, key=key)
