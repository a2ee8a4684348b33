"""Grade a file of predictions the way the SWE-bench harness does, resumably.

Predictions use SWE-bench's format: one JSON object per line with ``instance_id``,
``model_name_or_path`` and ``model_patch``. Each graded instance gets a directory in
the run dir (``grade.json``, ``test.log``, ``patch.diff``); a rerun skips instances
whose ``grade.json`` matches the same patch.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swe_env.errors import SweEnvError
from swe_env.rollout.stopping import run_jobs
from swe_env.tasks.spec import TaskSpec


@dataclass
class Prediction:
    instance_id: str
    model: str
    patch: str
    line: int


@dataclass
class PredictionFile:
    predictions: list[Prediction] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One message per bad line: malformed JSON, missing fields, unknown or duplicate ids."""


def read_predictions(path: Path, known_ids: set[str]) -> PredictionFile:
    """Parse ``path`` line by line; bad lines are reported and the rest kept."""
    result = PredictionFile()
    seen: dict[str, int] = {}
    text = path.read_text(errors="replace")
    if path.suffix == ".json" and text.lstrip()[:1] in {"[", "{"}:
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            result.problems.append(f"{path}: not valid JSON: {exc}")
            return result
        # A list of predictions, or SWE-agent's {instance_id: prediction} mapping.
        items = list(loaded.values()) if isinstance(loaded, dict) else loaded
        records = [(i + 1, json.dumps(r)) for i, r in enumerate(items)]
    else:
        records = [(i + 1, line) for i, line in enumerate(text.splitlines())]
    for lineno, line in records:
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            result.problems.append(f"{where}: malformed JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict):
            result.problems.append(f"{where}: expected a JSON object")
            continue
        iid, patch = rec.get("instance_id"), rec.get("model_patch")
        if not isinstance(iid, str) or not iid:
            result.problems.append(f"{where}: missing or non-string instance_id")
            continue
        if patch is not None and not isinstance(patch, str):
            result.problems.append(f"{where}: model_patch must be a string or null")
            continue
        if iid not in known_ids:
            result.problems.append(f"{where}: unknown instance_id {iid!r}")
            continue
        if iid in seen:
            result.problems.append(f"{where}: duplicate of line {seen[iid]} for {iid!r}; ignored")
            continue
        seen[iid] = lineno
        model = str(rec.get("model_name_or_path") or "")
        result.predictions.append(Prediction(iid, model, patch or "", lineno))
    return result


def _key(patch: str) -> str:
    return hashlib.sha256(patch.encode("utf-8", "surrogateescape")).hexdigest()


def _grade_one(
    pred: Prediction,
    task: TaskSpec,
    run_dir: Path,
    timeout: float,
    stop: threading.Event,
    images: Any = None,
    client: Any = None,
) -> tuple[str, str] | None:
    """Grade one prediction into ``run_dir/<id>/``; None if ``stop`` was set meanwhile."""
    from rewards.grade import grade

    if stop.is_set():
        return None
    inst = run_dir / pred.instance_id
    record = inst / "grade.json"
    if record.exists():
        try:
            old = json.loads(record.read_text())
            # Infrastructure and environment errors are never cached: a rerun retries them.
            if old.get("patch_sha256") == _key(pred.patch) and old["status"] not in RETRIED:
                return pred.instance_id, old["status"]
        except (json.JSONDecodeError, KeyError):
            pass
    inst.mkdir(parents=True, exist_ok=True)
    (inst / "patch.diff").write_text(pred.patch, errors="surrogateescape")
    logs: dict[str, str] = {}
    if not pred.patch.strip():
        status = "empty_patch"
        data: dict[str, Any] = {"status": status, "resolved": False}
    else:
        try:
            image = images.ready(task) if images is not None else None
            g = grade(task, pred.patch, image=image, timeout=timeout, client=client)
            graded = {"resolved", "unresolved", "patch_failed", "timeout", "tampered"}
            if g.status in {"resolved", "env_error"}:
                status = g.status
            else:
                status = "unresolved" if g.status in graded else "error"
            data = g.model_dump()
            logs = {"test.log": g.log, "apply.log": g.apply_log}
        except SweEnvError as exc:
            status, data = "error", {"status": "error", "error": str(exc)}
    if stop.is_set():
        return None  # the grading may have been cut short: no record
    for name, text in logs.items():
        (inst / name).write_text(text)
    data.update(patch_sha256=_key(pred.patch), model=pred.model, status=status)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(record)  # atomic: a crash never leaves half a record
    return pred.instance_id, status


def evaluate(
    tasks: dict[str, TaskSpec],
    predictions: list[Prediction],
    run_dir: Path,
    *,
    workers: int = 2,
    timeout: float = 600.0,
    on_done: Callable[[str, str], None] = lambda iid, status: None,
    client: Any = None,
) -> dict[str, Any]:
    """Grade every prediction (resuming from ``run_dir``) and return the summary report.

    Images are built on demand (:class:`~swe_env.rollout.validate.ImageCache`): each env
    image once per distinct spec, each instance when a worker reaches it, so grading the
    instances whose images are ready overlaps building the others. A failed build is that
    instance's ``error``; the others go on.

    On Ctrl-C (KeyboardInterrupt) grading stops within seconds: gradings still running
    are cut short and leave no record, finished ones keep theirs; the interrupt is
    re-raised. A rerun grades the rest.
    """
    from swe_env.rollout.validate import ImageCache

    run_dir.mkdir(parents=True, exist_ok=True)
    outcome: dict[str, str] = {}
    stop = threading.Event()
    images = ImageCache(client) if client is not None else None

    def one(pred: Prediction) -> tuple[str, str] | None:
        return _grade_one(pred, tasks[pred.instance_id], run_dir, timeout, stop, images, client)

    def keep(result: tuple[str, str]) -> None:
        iid, status = result
        outcome[iid] = status
        on_done(iid, status)

    run_jobs(one, predictions, keep, workers=workers, stop=stop)
    return summary(list(tasks), predictions, outcome)


RETRIED = frozenset({"error", "env_error"})
"""Statuses a rerun grades again: the harness failed, not the patch."""


def summary(all_ids: list[str], preds: list[Prediction], outcome: dict[str, str]) -> dict:
    """A report with the fields of SWE-bench's summary report. ``error_ids`` holds every
    instance the harness could not grade, as SWE-bench's does: infrastructure faults and
    environment failures (``env_error_ids``: the test runner could not run at the base
    state either), never an agent's failure."""

    def ids(status: str) -> list[str]:
        return sorted(i for i, s in outcome.items() if s == status)

    submitted = sorted(p.instance_id for p in preds)
    completed = sorted(i for i, s in outcome.items() if s in {"resolved", "unresolved"})
    return {
        "total_instances": len(all_ids),
        "submitted_instances": len(submitted),
        "completed_instances": len(completed),
        "resolved_instances": len(ids("resolved")),
        "unresolved_instances": len(ids("unresolved")),
        "empty_patch_instances": len(ids("empty_patch")),
        "error_instances": len(ids("error")) + len(ids("env_error")),
        "env_error_instances": len(ids("env_error")),
        "completed_ids": completed,
        "incomplete_ids": sorted(set(all_ids) - set(submitted)),
        "empty_patch_ids": ids("empty_patch"),
        "submitted_ids": submitted,
        "resolved_ids": ids("resolved"),
        "unresolved_ids": ids("unresolved"),
        "error_ids": sorted([*ids("error"), *ids("env_error")]),
        "env_error_ids": ids("env_error"),
        "schema_version": 2,
    }
