"""Trace a task's hidden tests in a fresh container, on the base state and on the gold state.

Like grading (:mod:`rewards.grade`), each run gets a fresh container from the instance image,
through the sandbox provider and its limits: the gold patch is applied (gold state) or not
(base state), the hidden tests are added, and the tracer (:mod:`swe_env.traces.tracer`) is
written into a temporary directory outside ``/testbed``. It runs the task's pytest command,
keeping only the tests that grading decides on (FAIL_TO_PASS and PASS_TO_PASS), and its JSON
lines are read back before the directory is removed and the container discarded: nothing is
committed, so nothing of the tracer or of the hidden tests reaches an image an agent sees.

The two states make pairs: the same test (and the same call of the same function) traced
before and after the fix. :func:`collect` writes one JSONL file per task and state in
``OUT/traces/`` and skips those already there (resumable); ``OUT/summaries.jsonl`` has the
tracer's summary of each (pytest's exit code, traces written and skipped, whether the output
limit stopped it); ``OUT/errors.jsonl`` lists the task states that could not be traced,
which a rerun tries again.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rewards.grade import REPO, Grade, add_hidden_tests, apply_in
from swe_env.errors import SweEnvError
from swe_env.images.build import instance_tag
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.spec import TaskSpec
from swe_env.traces.format import FORMAT_VERSION, TraceFormatError, from_record, render

TRACER = Path(__file__).with_name("tracer.py")
State = Literal["base", "gold"]
STATES: tuple[State, ...] = ("base", "gold")


class TraceError(SweEnvError, RuntimeError):
    """A task state could not be traced (no pytest command, the tracer died, a timeout)."""


class TraceLimits(BaseModel):
    """The tracer's limits (what happens at each: :mod:`swe_env.traces.tracer`)."""

    model_config = ConfigDict(extra="forbid")

    max_events: int = 1000
    """Events kept per trace."""
    max_value: int = 200
    """Characters per value."""
    max_bytes: int = 64 << 20
    """Bytes of tracer output per run; tracing stops there."""
    per_function: int = 2
    """Traces of one function per test."""
    max_traces: int = 20000
    """Traces per run."""

    def args(self) -> list[str]:
        return [
            f"--max-events={self.max_events}",
            f"--max-value={self.max_value}",
            f"--max-bytes={self.max_bytes}",
            f"--per-function={self.per_function}",
            f"--max-traces={self.max_traces}",
        ]


@dataclass
class TracerRun:
    """What one tracer run left: its records, its summary line and its log's tail."""

    records: list[dict[str, Any]]
    summary: dict[str, Any]
    log: str = ""
    files: dict[str, bytes] = field(default_factory=dict)


def run_tracer(
    sb: Any,
    mode: list[str],
    *,
    limits: TraceLimits | None = None,
    root: str = REPO,
    cwd: str = REPO,
    files: dict[str, bytes] | None = None,
    timeout: float = 600.0,
) -> TracerRun:
    """Run the tracer in ``sb`` (``mode``: e.g. ``["test", "--", "tests"]``). ``files`` are
    written into its temporary directory first; ``{work}`` in ``mode`` names that directory.
    Everything it wrote is removed before this returns.

    Raises:
        TraceError: the tracer did not finish (timeout, crash): its log's tail says why.
    """
    limits = limits or TraceLimits()
    work = f"/tmp/.trace-{secrets.token_hex(8)}"
    sb.run(f"mkdir -m 700 {work}")
    try:
        sb.write_file(f"{work}/swe_trace.py", TRACER.read_bytes())
        for name, data in (files or {}).items():
            sb.write_file(f"{work}/{name}", data)
        args = [a.replace("{work}", work) for a in mode]
        command = (
            f"cd {shlex.quote(cwd)} && PYTHONDONTWRITEBYTECODE=1 python {work}/swe_trace.py "
            f"--out {work}/traces.jsonl --root {shlex.quote(root)} {shlex.join(limits.args())} "
            f"{shlex.join(args)} > {work}/log 2>&1"
        )
        res = sb.run(command, timeout=timeout)
        data = _read(sb, f"{work}/traces.jsonl", limits.max_bytes + (1 << 20))
        log = _read(sb, f"{work}/log", 1 << 20).decode("utf-8", "replace")[-4000:]
    finally:
        sb.run(f"rm -rf {work}", timeout=60)
    if res.timed_out:
        raise TraceError(f"the traced run did not finish within {timeout:g}s")
    return _parse_output(data, log)


def _read(sb: Any, path: str, max_bytes: int) -> bytes:
    try:
        return sb.read_file(path, max_bytes=max_bytes)
    except (FileNotFoundError, IsADirectoryError, ValueError):
        return b""


def _parse_output(data: bytes, log: str) -> TracerRun:
    records, summary = [], None
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue  # a line cut short (the output's limit)
        if "summary" in item:
            summary = item["summary"]
        else:
            records.append(item)
    if summary is None:
        raise TraceError(f"the tracer did not finish: {log[-1500:] or 'no output'}")
    return TracerRun(records, summary, log)


def pytest_args(test_cmd: str) -> list[str]:
    """The arguments of a ``python -m pytest ...`` or ``pytest ...`` test command.

    Raises:
        TraceError: any other command (the tracer runs pytest itself).
    """
    try:
        parts = shlex.split(test_cmd)
    except ValueError as exc:
        raise TraceError(f"the test command cannot be read: {exc}") from None
    if any(p in {"&&", "||", ";", "|"} for p in parts):
        raise TraceError(f"not a plain pytest command: {test_cmd!r}")
    if parts[:3] == ["python", "-m", "pytest"] or parts[:3] == ["python3", "-m", "pytest"]:
        return parts[3:]
    if parts[:1] in (["pytest"], ["py.test"]):
        return parts[1:]
    raise TraceError(f"not a pytest command: {test_cmd!r}")


def trace_task(
    task: TaskSpec,
    state: State,
    provider: SandboxProvider,
    *,
    limits: TraceLimits | None = None,
    timeout: float = 600.0,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Trace the hidden tests of ``task`` on ``state`` in a fresh container: the output
    records (see :func:`output_record`) and the tracer's summary.

    Raises:
        TraceError: the state could not be traced. SweEnvError: infrastructure faults.
    """
    args = pytest_args(task.environment.test_cmd)
    select = sorted({*task.fail_to_pass, *task.pass_to_pass})
    config = DockerSandboxConfig(command_timeout=timeout)
    sb = provider.acquire(instance_tag(task), config, task=task.full_id)
    try:
        _prepare(sb, task, state)
        run = run_tracer(
            sb,
            ["--select", "{work}/select.txt", "test", "--", *args],
            limits=limits,
            files={"select.txt": "\n".join(select).encode()},
            timeout=timeout,
        )
    finally:
        provider.release(sb)
    records = [output_record(task, state, raw) for raw in run.records]
    kept = [r for r in records if r is not None]
    summary = {**run.summary, "unrenderable": len(records) - len(kept)}
    return kept, summary


def _prepare(sb: Any, task: TaskSpec, state: State) -> None:
    """The gold patch (gold state), then the hidden tests, as grading adds them."""
    grade_ = Grade(task_id=task.full_id, resolved=False, status="error")
    work = f"/tmp/.trace-prep-{secrets.token_hex(6)}"
    sb.run(f"mkdir -m 700 {work}")
    try:
        if state == "gold" and not task.gold_patch:
            raise TraceError("the task has no gold patch: its gold state cannot be traced")
        if state == "gold" and not apply_in(sb, work, task.gold_patch, grade_):
            raise TraceError(f"the gold patch does not apply: {grade_.apply_log[-1000:]}")
        if not add_hidden_tests(sb, work, task, grade_):
            raise TraceError(grade_.error or "the hidden tests could not be added")
    finally:
        sb.run(f"rm -rf {work}", timeout=60)


def output_record(task: TaskSpec, state: State, raw: dict[str, Any]) -> dict[str, Any] | None:
    """One line of the output: task, state, test, function, version, counts, flags, text.
    ``None`` for a trace the format cannot hold (a token in its source or values)."""
    try:
        text = render(from_record(raw))
    except (TraceFormatError, KeyError, TypeError, ValueError):
        return None
    return {
        "task": task.full_id,
        "state": state,
        "test": raw.get("test"),
        "file": raw["file"],
        "function": raw["function"],
        "line": raw["line"],
        "call_index": raw.get("call_index", 0),
        "format_version": FORMAT_VERSION,
        "event_count": raw["event_count"],
        "frames": len(raw["events"]),
        "truncated": list(raw.get("truncated", [])),
        "trace": text,
    }


def output_path(out_dir: Path, task: TaskSpec, state: State) -> Path:
    return out_dir / "traces" / f"{task.full_id.replace('/', '__')}.{state}.jsonl"


@dataclass
class Outcome:
    """One task state's result, as :func:`collect` reports it."""

    task: str
    state: State
    traces: int = 0
    skipped: bool = False
    error: str | None = None


def collect(
    tasks: Iterable[TaskSpec],
    out_dir: Path,
    *,
    concurrency: int = 2,
    states: Iterable[State] = STATES,
    limits: TraceLimits | None = None,
    timeout: float = 600.0,
    client: Any = None,
    on_done: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Trace every task in every state into ``out_dir``, ``concurrency`` at a time. Task
    states already in ``out_dir`` are skipped (reported with ``skipped``)."""
    (out_dir / "traces").mkdir(parents=True, exist_ok=True)
    jobs, outcomes, lock = [], [], threading.Lock()
    for task in tasks:
        for state in states:
            if output_path(out_dir, task, state).exists():
                outcomes.append(Outcome(task.full_id, state, skipped=True))
                on_done(outcomes[-1])
            else:
                jobs.append((task, state))
    config = DockerSandboxConfig(command_timeout=timeout)
    with (
        SandboxProvider(config, client=client) as provider,
        ThreadPoolExecutor(max(1, concurrency)) as pool,
    ):
        futures = {
            pool.submit(_one, t, s, provider, out_dir, limits, timeout, lock): (t, s)
            for t, s in jobs
        }
        for future in as_completed(futures):
            outcomes.append(future.result())
            on_done(outcomes[-1])
    return outcomes


def _one(task, state, provider, out_dir: Path, limits, timeout, lock) -> Outcome:
    try:
        records, summary = trace_task(task, state, provider, limits=limits, timeout=timeout)
    except (TraceError, SweEnvError) as exc:
        with lock, (out_dir / "errors.jsonl").open("a") as fh:
            fh.write(json.dumps({"task": task.full_id, "state": state, "error": str(exc)}) + "\n")
        return Outcome(task.full_id, state, error=str(exc))
    path = output_path(out_dir, task, state)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    tmp.replace(path)  # all or nothing: a killed run leaves no half file to skip later
    with lock, (out_dir / "summaries.jsonl").open("a") as fh:
        fh.write(json.dumps({"task": task.full_id, "state": state, **summary}) + "\n")
    return Outcome(task.full_id, state, traces=len(records))


def read_traces(out_dir: Path) -> list[dict[str, Any]]:
    """Every record of a collect run's ``traces/`` (or of one JSONL file)."""
    paths = [out_dir] if out_dir.is_file() else sorted((out_dir / "traces").glob("*.jsonl"))
    records = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def write_parquet(records: list[dict[str, Any]], out: Path) -> int:
    """The records as one Parquet file (one row a trace); returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("task", pa.string()), ("state", pa.string()), ("test", pa.string()),
            ("file", pa.string()), ("function", pa.string()), ("line", pa.int64()),
            ("call_index", pa.int64()), ("format_version", pa.int64()),
            ("event_count", pa.int64()), ("frames", pa.int64()),
            ("truncated", pa.list_(pa.string())), ("trace", pa.large_string()),
        ]
    )  # fmt: skip
    rows = [{name: r.get(name) for name in schema.names} for r in records]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), out)
    return len(rows)
