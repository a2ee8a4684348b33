"""Reading runs for the viewer: an index of light entries, records fetched one at a time.

A JSONL run (``DIR/trajectories.jsonl``) is indexed by byte offset: each complete line is
parsed once for its headline numbers, and only the new bytes are read on the next look,
so a run that is still being written shows its new episodes, and a torn last line (a
writer mid-line) waits until it is complete. An episode page seeks to its line and parses
that line alone. A Parquet export is indexed from its light columns; an episode page
reads one row group.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

CHUNK = 1 << 20
SUMMARY_COLUMNS = (
    "episode_id", "task_id", "sample", "status", "reward", "resolved", "terminated",
    "truncation", "turns", "seconds", "prompt_tokens", "completion_tokens", "format_errors",
)  # fmt: skip


@dataclass(slots=True)
class Entry:
    """One episode's headline numbers, and where its record is."""

    episode_id: str
    task_id: str
    sample: int
    status: str
    reward: float
    resolved: bool
    terminated: bool
    truncation: str | None
    turns: int
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    format_errors: int
    infra_errors: list[str]
    where: int
    """Byte offset of the line (JSONL) or row number (Parquet)."""
    size: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _usage(rec: dict[str, Any], key: str) -> int:
    total = (rec.get("usage") or {}).get(key)
    if total is not None:
        return int(total)
    return sum(int((s.get("usage") or {}).get(key, 0)) for s in rec.get("steps") or [])


def entry_of(rec: dict[str, Any], where: int, size: int = 0) -> Entry:
    """The :class:`Entry` of a trajectory record (a dict of its JSON form)."""
    steps = rec.get("steps") or []
    fmt = rec.get("format_errors") or sum(s.get("error_kind") == "format" for s in steps)
    return Entry(
        episode_id=str(rec.get("episode_id") or f"line-{where}"),
        task_id=str(rec["task_id"]),
        sample=int(rec.get("sample") or 0),
        status=str(rec.get("status") or "ok"),
        reward=float(rec.get("reward") or 0.0),
        resolved=bool(rec.get("resolved")),
        terminated=bool(rec.get("terminated")),
        truncation=rec.get("truncation"),
        turns=int(rec.get("turns") or len(steps)),
        seconds=float(rec.get("seconds") or 0.0),
        prompt_tokens=_usage(rec, "prompt_tokens"),
        completion_tokens=_usage(rec, "completion_tokens"),
        format_errors=int(fmt),
        infra_errors=[str(e) for e in rec.get("infra_errors") or []],
        where=where,
        size=size,
    )


class Run(Protocol):
    """What the pages need of a run."""

    name: str
    path: Path

    def entries(self) -> list[Entry]:
        """One entry per (task, sample): the first ok record, else the last one."""
        ...

    def record(self, episode_id: str) -> dict[str, Any] | None: ...

    def matching(self, text: str) -> set[str]:
        """Episode ids whose record contains ``text`` (case-insensitive)."""
        ...


def dedupe(entries: list[Entry]) -> list[Entry]:
    """One entry per (task, sample), as :func:`swe_env.rollout.export.read_trajectories`
    keeps them: the first ``ok`` record wins, else the last one; file order."""
    chosen: dict[tuple[str, int], Entry] = {}
    for e in entries:
        key = (e.task_id, e.sample)
        old = chosen.get(key)
        if old is None or old.status != "ok":
            chosen.pop(key, None)
            chosen[key] = e
    return list(chosen.values())


class JsonlRun:
    """A ``trajectories.jsonl``, indexed incrementally (see the module docstring)."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self._lock = threading.Lock()
        self._all: list[Entry] = []
        self._kept: list[Entry] = []
        self._by_id: dict[str, Entry] = {}
        self._indexed = 0
        self._identity: tuple[int, int] | None = None

    def _reset_if_replaced(self, size: int) -> None:
        st = self.path.stat()
        identity = (st.st_dev, st.st_ino)
        if identity != self._identity or size < self._indexed:
            self._all, self._kept, self._indexed, self._identity = [], [], 0, identity

    def refresh(self) -> None:
        """Index the lines written since the last look (a torn last line waits). A file
        that went away (a rerun about to write it again) keeps the last index."""
        with self._lock, contextlib.suppress(FileNotFoundError):
            size = self.path.stat().st_size
            self._reset_if_replaced(size)
            if size == self._indexed and self._kept:
                return
            grew = False
            with self.path.open("rb") as fh:
                fh.seek(self._indexed)
                pending = b""
                while chunk := fh.read(CHUNK):
                    pending += chunk
                    cut = pending.rfind(b"\n") + 1
                    if cut:
                        grew |= self._index_lines(pending[:cut])
                        pending = pending[cut:]
            if grew or not self._kept:
                self._kept = dedupe(self._all)
                self._by_id = {e.episode_id: e for e in self._all}

    def _index_lines(self, block: bytes) -> bool:
        start = self._indexed
        added = False
        for line in block.splitlines(keepends=True):
            entry = _quick_entry(line, start)
            if entry is None and (rec := _parse(line)) is not None:
                entry = entry_of(rec, start, len(line))
            if entry is not None:
                self._all.append(entry)
                added = True
            start += len(line)
        self._indexed = start
        return added

    def entries(self) -> list[Entry]:
        self.refresh()
        return self._kept

    def record(self, episode_id: str) -> dict[str, Any] | None:
        self.refresh()
        entry = self._by_id.get(episode_id)
        if entry is None:
            return None
        try:
            with self.path.open("rb") as fh:
                fh.seek(entry.where)
                return _parse(fh.read(entry.size))
        except FileNotFoundError:
            return None

    def matching(self, text: str) -> set[str]:
        needle = text.lower().encode()
        wanted = {e.where: e.episode_id for e in self.entries()}
        found: set[str] = set()
        offset = 0
        with contextlib.suppress(FileNotFoundError), self.path.open("rb") as fh:
            for line in fh:
                if offset in wanted and needle in line.lower():
                    found.add(wanted[offset])
                offset += len(line)
        return found


HEAD = re.compile(rb'\{"episode_id":"([^"\\]*)","task_id":("(?:[^"\\]|\\.)*"),"sample":(-?\d+),')
TAIL = b',"reward":'


def _quick_entry(line: bytes, where: int) -> Entry | None:
    """The entry of a line :class:`~swe_env.rollout.trajectory.TrajectoryWriter` wrote,
    without parsing its messages and steps (the bulk of it): the ids lead the line, and
    the numbers follow the steps from ``"reward"`` on. The tail parses only if that
    ``"reward"`` is the top-level one (a nested one leaves brackets unbalanced); anything
    else returns None and the line is parsed whole."""
    head = HEAD.match(line)
    cut = line.rfind(TAIL)
    if head is None or cut < 0:
        return None
    try:
        tail = json.loads(b"{" + line[cut + 1 :])
        task_id = json.loads(head.group(2))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(tail, dict) or "turns" not in tail or not tail.get("usage"):
        return None  # no summed usage: the steps' counts are needed
    tail.update(episode_id=head.group(1).decode(), task_id=task_id, sample=int(head.group(3)))
    tail.setdefault("format_errors", 0)  # never counted from steps here: they are not read
    return entry_of(tail, where, len(line))


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return rec if isinstance(rec, dict) and "task_id" in rec else None


class ParquetRun:
    """A Parquet export of ``swe-env trajectories export`` (pyarrow reads it)."""

    def __init__(self, path: Path, name: str) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.name = name
        self._file = pq.ParquetFile(path)
        names = set(self._file.schema_arrow.names)
        columns = [c for c in SUMMARY_COLUMNS if c in names]
        rows = self._file.read(columns=columns).to_pylist()
        self._all = [entry_of(row, i) for i, row in enumerate(rows)]
        self._kept = dedupe(self._all)
        self._by_id = {e.episode_id: e for e in self._all}

    def entries(self) -> list[Entry]:
        return self._kept

    def _row(self, number: int) -> dict[str, Any]:
        start = 0
        for group in range(self._file.num_row_groups):
            count = self._file.metadata.row_group(group).num_rows
            if number < start + count:
                table = self._file.read_row_group(group)
                return table.slice(number - start, 1).to_pylist()[0]
            start += count
        raise IndexError(number)

    def record(self, episode_id: str) -> dict[str, Any] | None:
        entry = self._by_id.get(episode_id)
        return None if entry is None else parquet_record(self._row(entry.where))

    def matching(self, text: str) -> set[str]:
        import pyarrow.compute as pc

        names = set(self._file.schema_arrow.names)
        columns = [c for c in ("task_id", "patch", "steps", "grade") if c in names]
        found: set[str] = set()
        for group in range(self._file.num_row_groups):
            table = self._file.read_row_group(group, columns=["episode_id", *columns])
            hit = None
            for column in columns:
                match = pc.match_substring(table[column], text, ignore_case=True).fill_null(False)
                hit = match if hit is None else pc.or_(hit, match)
            if hit is not None:
                found.update(str(x) for x in table["episode_id"].filter(hit).to_pylist())
        return found


def parquet_record(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row back in the shape of a JSONL record (JSON columns decoded)."""
    rec = dict(row)
    for key in ("steps", "grade", "tools", "sampling"):
        if isinstance(rec.get(key), str):
            rec[key] = json.loads(rec[key])
    rec.setdefault("usage", {})
    rec["usage"] = {
        "prompt_tokens": int(row.get("prompt_tokens") or 0),
        "completion_tokens": int(row.get("completion_tokens") or 0),
    }
    return rec


def open_run(path: Path, name: str | None = None) -> Run:
    """A run from a run directory, a ``.jsonl`` file or a ``.parquet`` export.

    Raises:
        ValueError: the path holds no run (one line that says what was looked for).
    """
    path = Path(path)
    if path.is_dir():
        jsonl, parquet = path / "trajectories.jsonl", path / "trajectories.parquet"
        target = jsonl if jsonl.is_file() or not parquet.is_file() else parquet
        if not target.is_file():
            raise ValueError(f"{path}: no trajectories.jsonl or trajectories.parquet in it")
        label = name or path.resolve().name
    elif path.is_file():
        target, label = path, name or path.resolve().parent.name
    else:
        raise ValueError(f"{path}: no such run directory or file")
    if target.suffix == ".parquet":
        try:
            return ParquetRun(target, label)
        except ImportError as exc:
            raise ValueError(f"{target}: reading Parquet needs pyarrow ({exc})") from None
        except Exception as exc:
            raise ValueError(f"{target}: not a readable Parquet file ({exc})") from None
    return JsonlRun(target, label)


def open_runs(paths: list[Path]) -> dict[str, Run]:
    """Runs by a unique name (the directory's name; ``-2``, ``-3`` … when names repeat)."""
    runs: dict[str, Run] = {}
    for path in paths:
        run = open_run(path)
        name, n = run.name, 1
        while name in runs:
            n += 1
            name = f"{run.name}-{n}"
        run.name = name
        runs[name] = run
    return runs
