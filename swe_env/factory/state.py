"""What a factory run already decided, so that re-running it with the same ``--out``
resumes: ``<out>/.factory-state.jsonl``, one JSON object a line,
``{"candidate": id, "outcome": "validated" | drop reason, "task": name | null, "key": [...]}``.

A line is appended (and flushed) when a candidate is decided: dropped when it ran, or
validated / dropped by validation once its task was written and checked. A candidate with no
line is run again, so killing a run and re-running it gives the same final set.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

FILE = ".factory-state.jsonl"
VALIDATED = "validated"


class Ledger:
    """The decided candidates of one out directory (thread-safe appends)."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / FILE
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill
                if isinstance(entry, dict) and isinstance(entry.get("candidate"), str):
                    self.entries[entry["candidate"]] = entry

    def decided(self, candidate: str) -> bool:
        return candidate in self.entries

    def record(
        self, candidate: str, outcome: str, task: str | None = None, key: Any = None
    ) -> None:
        """Remember ``candidate``'s outcome (a later line for the same id wins)."""
        entry = {"candidate": candidate, "outcome": outcome, "task": task, "key": key}
        with self._lock:
            self.entries[candidate] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")

    def tasks(self) -> list[str]:
        """The validated tasks' names."""
        return sorted(e["task"] for e in self.entries.values() if e["outcome"] == VALIDATED)

    def names(self) -> set[str]:
        """Every task name a decided candidate wrote (validated or quarantined)."""
        return {e["task"] for e in self.entries.values() if e.get("task")}

    def keys(self) -> set[str]:
        """The dedup keys of the candidates kept so far (JSON-encoded)."""
        return {
            json.dumps(e["key"])
            for e in self.entries.values()
            if e.get("key") is not None and e.get("task")
        }

    def drops(self, among: set[str] | None = None) -> Counter:
        """Drop reasons counted over the decided candidates (``among``: only those ids)."""
        return Counter(
            e["outcome"]
            for c, e in self.entries.items()
            if e["outcome"] != VALIDATED and (among is None or c in among)
        )
