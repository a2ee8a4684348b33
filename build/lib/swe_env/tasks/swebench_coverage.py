"""Coverage: which SWE-bench instances can become runnable tasks here, and why not the rest.

Two sources:

- the spec table alone (swebench 4.1's ``MAP_REPO_VERSION_TO_SPECS``), one row per
  repository and version: needs no record and no network;
- official SWE-bench Lite/Verified records (JSON list or JSONL, as published), one row per
  repository and version with its instance count.

A row is ``importable`` or skipped for the first reason that applies, in this order:
``no spec``, ``not Python``, ``python X.Y`` (not on Debian here: 3.9, 3.11 and 3.13 are),
``no test command``, ``no log parser``, ``network at test time`` (tests call the internet),
``network at build`` (a step downloads from a host that is no package registry).
Importable means the conversion and its environment are possible; an instance can still
fail validation (``swe-env tasks validate``) on what only a build shows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swe_env.tasks.swebench_specs import NEAREST_PYTHON, NETWORK_REPOS, PYTHONS, _swebench

STAND_IN = "importable on a stand-in Python"
"""The outcome of a row that only ``--nearest-python`` makes importable (then validated)."""

__all__ = ["STAND_IN", "CoverageRow", "from_records", "load_records", "from_spec_table", "markdown", "skip_reason"]

_DOWNLOAD = re.compile(r"\b(wget|curl)\b|\bgit clone\b|https?://|\bgit\+")


@dataclass(frozen=True)
class CoverageRow:
    """One repository at one version."""

    repo: str
    version: str
    python: str
    reason: str | None
    """``None``: importable; else why the instances are skipped."""
    instances: int = 0
    """Records of this repository and version (0 for the spec table alone)."""


def skip_reason(
    repo: str, spec: Mapping[str, Any] | None, test_patch: str = "", nearest: bool = False
) -> str | None:
    """Why instances of ``repo`` with ``spec`` cannot run here (``None``: they can;
    :data:`STAND_IN`: they can with ``nearest``, on the stand-in Python)."""
    if spec is None:
        return "no spec"
    if "python" not in spec:
        return "not Python"
    asked = str(spec["python"])
    stand_in = nearest and asked not in PYTHONS and asked in NEAREST_PYTHON
    if asked not in PYTHONS and not stand_in:
        return f"python {spec['python']}"
    other = _other_reason(repo, spec, test_patch)
    return other or (STAND_IN if stand_in else None)


def _other_reason(repo: str, spec: Mapping[str, Any], test_patch: str) -> str | None:
    if not isinstance(spec.get("test_cmd"), str):
        return "no test command"
    parsers = _swebench("log_parsers", "MAP_REPO_TO_PARSER") or {}
    if repo not in parsers:
        return "no log parser"
    if repo in NETWORK_REPOS or "httpbin" in test_patch:
        return "network at test time"
    steps = [*spec.get("pre_install", []), *spec.get("eval_commands", [])]
    steps.append(str(spec.get("install", "")))
    if any(_DOWNLOAD.search(str(step)) for step in steps):
        return "network at build"
    return None


def _table() -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
    table = _swebench("constants", "MAP_REPO_VERSION_TO_SPECS")
    if table is None:
        from swe_env.errors import TaskError

        raise TaskError("coverage needs swebench>=4.1,<5 installed (its spec table)")
    return table


def from_spec_table(nearest: bool = False) -> list[CoverageRow]:
    """One row per repository and version of the spec table (``nearest``: count stand-in
    Pythons, see :func:`skip_reason`)."""
    rows = []
    for repo, versions in sorted(_table().items()):
        for version, spec in versions.items():
            python = str(spec.get("python", "-"))
            reason = skip_reason(repo, spec, nearest=nearest)
            rows.append(CoverageRow(repo, str(version), python, reason))
    return rows


def from_records(records: Iterable[Mapping[str, Any]], nearest: bool = False) -> list[CoverageRow]:
    """Rows of official records, grouped by repository, version and outcome."""
    table = _table()
    counts: Counter[tuple[str, str, str, str | None]] = Counter()
    for rec in records:
        repo, version = str(rec.get("repo")), str(rec.get("version"))
        spec = table.get(repo, {}).get(version)
        python = str(spec.get("python", "-")) if spec else "-"
        reason = skip_reason(repo, spec, str(rec.get("test_patch") or ""), nearest)
        counts[(repo, version, python, reason)] += 1
    return [CoverageRow(r, v, p, why, n) for (r, v, p, why), n in sorted(counts.items(), key=str)]


def totals(rows: list[CoverageRow]) -> dict[str, int]:
    """``{"importable": n, <reason>: n, ...}``, counting instances (or rows without them)."""
    out: Counter[str] = Counter()
    for row in rows:
        out[row.reason or "importable"] += row.instances or 1
    return dict(out.most_common())


def markdown(rows: list[CoverageRow], unit: str) -> str:
    """The totals and the per-repository table, as Markdown."""
    total = totals(rows)
    n = sum(total.values())
    lines = [f"| outcome | {unit} | share |", "| --- | ---: | ---: |"]
    lines += [f"| {k} | {v} | {100 * v / n:.0f}% |" for k, v in total.items()]
    by_repo: dict[str, Counter[str]] = {}
    for row in rows:
        by_repo.setdefault(row.repo, Counter())[row.reason or "importable"] += row.instances or 1
    lines += ["", f"| repository | importable {unit} | skipped (reason: {unit}) |"]
    lines.append("| --- | ---: | --- |")
    other = sorted(r for r, c in by_repo.items() if set(c) == {"not Python"})
    for repo, counts in sorted(by_repo.items()):
        if repo in other:
            continue
        skipped = ", ".join(f"{k}: {v}" for k, v in counts.items() if k != "importable")
        lines.append(f"| {repo} | {counts.get('importable', 0)} | {skipped or '-'} |")
    if other:
        lines += ["", f"Not Python ({len(other)} repositories): " + ", ".join(other) + "."]
    return "\n".join(lines) + "\n"


def load_records(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON list or JSONL file for coverage: each needs only ``repo`` and
    ``version`` (``test_patch`` is read when present), so a listing of a benchmark's
    instances does as well as the full records.

    Raises:
        TaskError: the file cannot be read, or a record is not an object with a ``repo``
            and a ``version``.
    """
    from swe_env.errors import TaskError
    from swe_env.tasks.swebench import raw_records

    records, bad = [], []
    for where, raw in raw_records(path):
        ok = isinstance(raw, dict) and raw.get("repo") and raw.get("version") is not None
        (records if ok else bad).append(raw if ok else where)
    if bad:
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise TaskError(f"records without a repo and version: {', '.join(bad[:5])}{more}")
    return records
