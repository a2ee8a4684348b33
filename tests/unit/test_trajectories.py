"""Trajectory records: backward compatibility, reading a run, stats, Parquet and SFT export,
and the ``swe-env trajectories`` commands. No Docker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from swe_env.cli import app
from swe_env.rollout.export import read_trajectories, select, sft_record, stats, write_parquet
from swe_env.rollout.trajectory import Step, Trajectory, TrajectoryWriter

CALL = {
    "id": "c1",
    "type": "function",
    "function": {"name": "bash", "arguments": '{"command":"ls"}'},
}


def episode(task: str, sample: int = 0, *, resolved: bool = False, **kw: Any) -> Trajectory:
    steps = [
        Step(
            turn=1,
            action={"role": "assistant", "content": None, "tool_calls": [CALL]},
            observation="a.py",
            token_ids=[5, 6, 7],
            tokens=["token_id:5", "token_id:6", "token_id:7"],
            logprobs=[-0.1, -0.2, -0.3],
            prompt_token_ids=[1, 2],
            usage={"prompt_tokens": 100, "completion_tokens": 3},
            n_tool_calls=1,
        ),
        Step(
            turn=2, action="oops", observation="No tool call found.", ok=False, error_kind="format"
        ),
    ]
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "fix"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "c1", "content": "a.py"},
        {"role": "assistant", "content": "oops"},
        {"role": "user", "content": "No tool call"},
    ]
    fields: dict[str, Any] = {
        "task_id": task,
        "sample": sample,
        "policy": "openai",
        "model": "m",
        "messages": messages,
        "steps": steps,
        "turns": 2,
        "reward": 1.0 if resolved else 0.0,
        "resolved": resolved,
        "terminated": resolved,
        "truncated": not resolved,
        "truncation": None if resolved else "max_turns",
        "usage": {"prompt_tokens": 100, "completion_tokens": 3},
        "format_errors": 1,
        "mode": "tools",
        "tools": [{"type": "function", "function": {"name": "bash"}}],
        "grade": {"resolved": resolved},
    }
    fields.update(kw)
    return Trajectory(**fields)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    writer = TrajectoryWriter(tmp_path)
    writer.write(Trajectory(task_id="demo/b", sample=0, policy="openai", status="infra_error"))
    writer.write(episode("demo/a", 0, resolved=True))
    writer.write(episode("demo/a", 1))
    writer.write(episode("demo/b", 0, resolved=True))  # the rerun fixed the infra error
    writer.write(Trajectory(task_id="demo/c", sample=0, policy="openai", status="infra_error"))
    with (tmp_path / "trajectories.jsonl").open("a") as fh:
        fh.write('{"task_id": "demo/torn", "sam')
    return tmp_path


def test_old_records_still_load() -> None:
    old = {
        "episode_id": "e",
        "task_id": "demo/a",
        "sample": 0,
        "policy": "replay",
        "steps": [{"turn": 1, "action": {"name": "submit"}, "observation": "done"}],
    }
    traj = Trajectory.model_validate(old)
    assert traj.steps[0].token_ids is None and traj.usage == {} and traj.format_errors == 0
    assert stats([old])["episodes"] == 1


def test_read_keeps_one_record_per_pair(run_dir: Path) -> None:
    records = read_trajectories(run_dir)
    keys = [(r["task_id"], r["sample"], r["status"]) for r in records]
    assert keys == [
        ("demo/a", 0, "ok"),
        ("demo/a", 1, "ok"),
        ("demo/b", 0, "ok"),
        ("demo/c", 0, "infra_error"),
    ]
    assert read_trajectories(run_dir / "trajectories.jsonl") == records


def test_stats(run_dir: Path) -> None:
    summary = stats(read_trajectories(run_dir))
    assert summary["episodes"] == 4 and summary["completed"] == 3
    assert summary["infra_errors"] == 1
    assert summary["resolved"] == 2 and summary["resolved_rate"] == pytest.approx(2 / 3)
    assert summary["mean_turns"] == 2.0
    assert summary["format_errors"] == 3 and summary["episodes_with_format_errors"] == 3
    assert summary["prompt_tokens"] == 300 and summary["completion_tokens"] == 9
    assert summary["tasks"] == 2 and summary["mixed_groups"] == 1  # demo/a: rewards 1 and 0
    assert summary["truncations"] == {"max_turns": 1}


def test_parquet_is_typed_and_readable(run_dir: Path, tmp_path: Path) -> None:
    records = select(read_trajectories(run_dir))
    out = tmp_path / "export" / "t.parquet"
    assert write_parquet(records, out) == 3
    table = pq.read_table(out)
    assert table.num_rows == 3
    ids_type = table.schema.field("completion_token_ids").type
    assert pa.types.is_list(ids_type) and pa.types.is_list(ids_type.value_type)
    assert pa.types.is_int64(ids_type.value_type.value_type)
    rows = table.to_pylist()
    row = rows[0]
    assert (row["task_id"], row["sample"], row["resolved"], row["reward"]) == (
        "demo/a",
        0,
        True,
        1.0,
    )
    assert row["completion_token_ids"] == [[5, 6, 7], None]
    assert row["completion_logprobs"] == [[-0.1, -0.2, -0.3], None]
    assert row["prompt_token_ids"] == [[1, 2], None]
    assert row["messages"][2]["tool_calls"][0]["function"]["name"] == "bash"
    assert row["messages"][3] == {
        "role": "tool",
        "content": "a.py",
        "tool_calls": None,
        "tool_call_id": "c1",
    }
    assert row["format_errors"] == 1 and row["prompt_tokens"] == 100
    assert json.loads(row["steps"])[1]["error_kind"] == "format"
    assert json.loads(row["tools"])[0]["function"]["name"] == "bash"


def test_parquet_of_nothing(tmp_path: Path) -> None:
    write_parquet([], tmp_path / "empty.parquet")
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_sft_records(run_dir: Path) -> None:
    records = read_trajectories(run_dir)
    assert [r["task_id"] for r in select(records, resolved_only=True)] == ["demo/a", "demo/b"]
    assert len(select(records, min_reward=0.5)) == 2 and len(select(records)) == 3
    rec = sft_record(records[0])
    assert [m["role"] for m in rec["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert rec["messages"][2] == {"role": "assistant", "content": None, "tool_calls": [CALL]}
    assert rec["messages"][3] == {"role": "tool", "content": "a.py", "tool_call_id": "c1"}
    assert rec["tools"] and rec["resolved"] and rec["task_id"] == "demo/a"


def test_cli_stats_and_export(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["trajectories", "stats", str(run_dir), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["resolved"] == 2
    table = runner.invoke(app, ["trajectories", "stats", str(run_dir)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "mean turns" in table.stdout and "66.7%" in table.stdout

    done = runner.invoke(app, ["trajectories", "export", str(run_dir)])
    assert done.exit_code == 0, done.output
    assert pq.read_table(run_dir / "trajectories.parquet").num_rows == 3

    sft = tmp_path / "sft.jsonl"
    args = ["trajectories", "export", str(run_dir), "--format", "sft", "--out", str(sft)]
    done = runner.invoke(app, [*args, "--resolved-only"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in sft.read_text().splitlines()]
    assert [r["task_id"] for r in lines] == ["demo/a", "demo/b"]
    assert all(r["messages"][0]["role"] == "system" for r in lines)

    bad = runner.invoke(app, ["trajectories", "export", str(run_dir), "--format", "csv"])
    assert bad.exit_code == 1
    missing = runner.invoke(app, ["trajectories", "stats", str(tmp_path / "nope")])
    assert missing.exit_code == 1
