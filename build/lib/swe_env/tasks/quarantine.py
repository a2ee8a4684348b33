"""Quarantine: tasks of a suite that failed validation, with the reason, in one file.

``<suite dir>/quarantine.json`` maps task id to reason. :func:`swe_env.tasks.load_suite`
leaves these tasks out unless asked (``include_quarantined=True``; ``--include-quarantined``
on the command line), so training and evaluation skip them. ``swe-env tasks validate``
writes the file; a task that validates again leaves it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from swe_env.errors import TaskError

FILE = "quarantine.json"

__all__ = ["FILE", "read_quarantine", "update_quarantine"]


def read_quarantine(suite_dir: Path) -> dict[str, str]:
    """``{task id: reason}`` of ``suite_dir`` (empty when it has no quarantine file).

    Raises:
        TaskError: the file exists but is not a JSON object of strings.
    """
    path = Path(suite_dir) / FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TaskError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TaskError(f"{path}: expected a JSON object {{task id: reason}}")
    return {str(k): v for k, v in data.items()}


def update_quarantine(
    suite_dir: Path, broken: dict[str, str], cleared: list[str] = ()
) -> dict[str, str]:
    """Add ``broken`` (id → reason) and drop ``cleared`` ids; written atomically. Returns
    the whole quarantine. The file is removed when nothing is left in it."""
    path = Path(suite_dir) / FILE
    entries = {k: v for k, v in read_quarantine(suite_dir).items() if k not in set(cleared)}
    entries.update(broken)
    if not entries:
        path.unlink(missing_ok=True)
        return entries
    fd, tmp = tempfile.mkstemp(prefix=".quarantine.", dir=suite_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(dict(sorted(entries.items())), fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return entries
