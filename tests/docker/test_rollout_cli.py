"""``swe-env rollout`` end to end in a subprocess: a scripted model server, the replay
policy, resume, Ray, and ``swe-env trajectories`` on the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from support.scripted_server import (
    ScriptedChatServer,
    completion_body,
    turn_script,
)

from swe_env.images.build import ensure_images
from swe_env.tasks import load_suite

pytestmark = pytest.mark.docker

EASY = ["demo/inicfg-delimiter-in-value", "demo/semverlite-prerelease-numeric-order"]


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images([t for t in load_suite("demo") if t.full_id in EASY], docker_client)


def swe_env(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "swe_env", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]


def task_args() -> list[str]:
    return [arg for task in EASY for arg in ("--task", task)]


def test_help_lists_the_commands() -> None:
    done = swe_env("--help")
    assert done.returncode == 0 and "rollout" in done.stdout and "trajectories" in done.stdout


def test_openai_policy_rollout_stats_and_export(tmp_path: Path) -> None:
    replies = [
        completion_body("<tool: bash>\nls\n</tool>", token_ids=[1, 2], ids_as_tokens=True),
        completion_body("<tool: submit>\n</tool>", token_ids=[3], ids_as_tokens=True),
    ]
    out = tmp_path / "run"
    with ScriptedChatServer(turn_script(replies)) as server:
        args = ["rollout", "--base-url", server.url, "--model", "scripted", "--mode", "text"]
        done = swe_env(*args, *task_args(), "--samples", "2", "--seed", "7", "--out", str(out))
        assert done.returncode == 0, done.stderr
        first_prompt = server.requests[0]["messages"][1]["content"]
        seeds = sorted({r["seed"] for r in server.requests})
    assert "<tool: bash>" in first_prompt  # text mode: the env describes the tags
    assert seeds == [7, 8]  # base seed + sample index
    recs = records(out)
    assert sorted((r["task_id"], r["sample"]) for r in recs) == sorted(
        (t, k) for t in EASY for k in range(2)
    )
    assert all(r["status"] == "ok" and r["terminated"] and r["turns"] == 2 for r in recs)
    assert all(r["steps"][0]["token_ids"] == [1, 2] for r in recs)
    assert "episodes" in done.stdout and "format errors" in done.stdout
    assert "ep/min" in done.stderr

    stats = swe_env("trajectories", "stats", str(out), "--json")
    summary = json.loads(stats.stdout)
    assert summary["episodes"] == 4 and summary["submitted"] == 4
    assert summary["completion_tokens"] == 4 * 3
    exported = swe_env("trajectories", "export", str(out), "--format", "parquet")
    assert exported.returncode == 0, exported.stderr
    assert pq.read_table(out / "trajectories.parquet").num_rows == 4
    sft = swe_env("trajectories", "export", str(out), "--format", "sft")
    assert sft.returncode == 0 and len((out / "sft.jsonl").read_text().splitlines()) == 4


def test_replay_rollout_resumes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = swe_env("rollout", "--policy", "replay", *task_args(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert all(r["resolved"] and r["reward"] == 1.0 for r in records(out))
    again = swe_env("rollout", "--policy", "replay", *task_args(), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "0 new episode(s)" in again.stderr and len(records(out)) == len(EASY)


def test_model_server_down_exits_non_zero_with_infra_errors(tmp_path: Path) -> None:
    server = ScriptedChatServer(turn_script([completion_body("x")]))
    url = server.url
    server.stop()
    out = tmp_path / "run"
    args = ["rollout", "--base-url", url, "--model", "m", "--task", EASY[0]]
    done = swe_env(*args, "--request-retries", "1", "--retries", "1", "--out", str(out))
    assert done.returncode == 1
    [record] = records(out)
    assert record["status"] == "infra_error" and record["reward"] == 0.0
    assert len(record["infra_errors"]) == 2
    assert all("PolicyUnavailable" in e for e in record["infra_errors"])
    assert "rerun to retry" in done.stderr


def test_bad_options_fail_cleanly(tmp_path: Path) -> None:
    done = swe_env("rollout", "--policy", "openai", "--out", str(tmp_path))
    assert done.returncode == 1 and "--model is required" in done.stderr
    done = swe_env("rollout", "--policy", "magic", "--out", str(tmp_path))
    assert done.returncode == 1 and "unknown policy" in done.stderr


@pytest.mark.slow
def test_replay_rollout_on_ray(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["rollout", "--policy", "replay", *task_args(), "--samples", "2", "--ray"]
    done = swe_env(*args, "--concurrency", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    keys = [(r["task_id"], r["sample"]) for r in records(out)]
    assert len(keys) == len(set(keys)) == 4
    assert all(r["resolved"] for r in records(out))
