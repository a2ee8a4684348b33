"""The collector's pieces that need no engine: the test command, the tracer's output, the
output records, and the Parquet export."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from support.trace_programs import PROGRAM, run_tracer

from swe_env.tasks import find_task
from swe_env.traces.collect import (
    TraceError,
    TraceLimits,
    _parse_output,
    output_record,
    pytest_args,
    read_traces,
    write_parquet,
)
from swe_env.traces.format import parse


def test_only_a_plain_pytest_command_is_traced() -> None:
    assert pytest_args("python -m pytest -rA tests") == ["-rA", "tests"]
    assert pytest_args("pytest -q 'a b'") == ["-q", "a b"]
    for cmd in ("tox -e py", "python -m pytest tests && rm -rf /", "./run_tests.sh", "'"):
        with pytest.raises(TraceError):
            pytest_args(cmd)


def test_limits_become_the_tracers_options() -> None:
    assert TraceLimits(max_events=5).args()[0] == "--max-events=5"
    with pytest.raises(ValueError):
        TraceLimits(max_event=5)  # type: ignore[call-arg]


def test_a_run_without_its_summary_line_is_an_error() -> None:
    with pytest.raises(TraceError, match="did not finish: boom"):
        _parse_output(b'{"file": "a.py"}\n', "boom")
    run = _parse_output(b'{"file": "a.py"}\n{"cut short\n{"summary": {"traces": 1}}\n', "")
    assert run.records == [{"file": "a.py"}] and run.summary == {"traces": 1}


def test_records_are_rendered_and_exported(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM)
    raw, _ = run_tracer(tmp_path, "script", "prog.py")
    task = find_task("demo/textkit-slug-trailing-separator")
    records = [output_record(task, "gold", r) for r in raw]
    assert all(r is not None for r in records)
    first = records[0]
    assert first["task"] == task.full_id and first["format_version"] == 1
    assert parse(first["trace"]).events[0].kind == "call"
    broken = dict(raw[0], source="def f():\n    '<|frame_sep|>'\n")
    assert output_record(task, "gold", broken) is None  # a token in the code: dropped
    (tmp_path / "traces").mkdir()
    out = tmp_path / "traces" / "x.gold.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert write_parquet(read_traces(tmp_path), tmp_path / "t.parquet") == len(records)
    table = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert table[0]["trace"] == first["trace"] and table[0]["truncated"] == []
