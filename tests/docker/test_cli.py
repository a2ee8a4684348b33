"""The swe-env command end to end (subprocesses against the real engine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.docker

EASY = ["demo/inicfg-delimiter-in-value", "demo/semverlite-prerelease-numeric-order"]


def swe_env(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "swe_env", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_help_explains():
    done = swe_env("--help")
    assert done.returncode == 0
    for command in ("run", "evaluate", "tasks", "images", "gc", "smoke"):
        assert command in done.stdout


def test_bootstrap_is_idempotent(docker_client, base_image):
    done = swe_env("images", "bootstrap", "--python", "3.11")
    assert done.returncode == 0 and "already present" in done.stderr


def test_smoke(docker_client, base_image):
    done = swe_env("smoke")
    assert done.returncode == 0, done.stderr
    assert "hello, swe-env" in done.stdout


def test_run_writes_trajectories_and_resumes(docker_client, tmp_path):
    out = tmp_path / "run"
    args = ["run", "--suite", "demo", "--out", str(out)]
    for task in EASY:
        args += ["--task", task]
    done = swe_env(*args)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in records) == sorted(EASY)
    assert all(r["reward"] == 1.0 and r["resolved"] and r["patch"] for r in records)
    assert "resolved" in done.stdout
    again = swe_env(*args)
    assert again.returncode == 0
    assert len((out / "trajectories.jsonl").read_text().splitlines()) == len(EASY)


def test_run_rejects_unknown_task():
    done = swe_env("run", "--suite", "demo", "--task", "nope")
    assert done.returncode != 0 and "unknown task id" in done.stderr


def test_evaluate_reports_bad_lines_and_resumes(docker_client, tmp_path):
    from swe_env.tasks import find_task

    gold = find_task(EASY[0])
    preds = tmp_path / "preds.jsonl"
    lines = [
        json.dumps(
            {"instance_id": gold.id, "model_name_or_path": "m", "model_patch": gold.gold_patch}
        ),
        json.dumps(
            {"instance_id": EASY[1].split("/")[1], "model_name_or_path": "m", "model_patch": ""}
        ),
        "{not json",
        json.dumps({"instance_id": "unknown-task", "model_patch": "x"}),
        json.dumps({"instance_id": gold.id, "model_patch": "dup"}),
    ]
    preds.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.json"
    done = swe_env("evaluate", "--predictions", str(preds), "--report", str(report))
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["resolved_ids"] == [gold.id]
    assert data["empty_patch_ids"] == [EASY[1].split("/")[1]]
    assert data["submitted_instances"] == 2 and data["error_ids"] == []
    problems = "\n".join(data["invalid_lines"])
    assert "preds.jsonl:3" in problems and "preds.jsonl:4" in problems and "duplicate" in problems
    logs = tmp_path / "report-logs" / gold.id
    assert (logs / "test.log").read_text() and json.loads((logs / "grade.json").read_text())
    stamp = (logs / "grade.json").stat().st_mtime
    again = swe_env("evaluate", "--predictions", str(preds), "--report", str(report))
    assert again.returncode == 0
    assert (logs / "grade.json").stat().st_mtime == stamp  # resumed, not regraded


def test_tasks_show_json():
    done = swe_env("tasks", "show", EASY[0], "--json")
    assert done.returncode == 0
    spec = json.loads(done.stdout)
    assert spec["id"] == EASY[0].split("/")[1] and spec["FAIL_TO_PASS"]


def test_bad_task_file_is_named(tmp_path):
    suite = tmp_path / "bad"
    (suite / "t1").mkdir(parents=True)
    (suite / "t1" / "task.yaml").write_text("id: t1\nproblem_statement: x\nbogus: 1\n")
    done = swe_env("tasks", "list", str(suite))
    assert done.returncode != 0
    assert "task.yaml" in done.stderr and "bogus" in done.stderr


@pytest.mark.slow
def test_validate_demo_suite(docker_client):
    done = swe_env("tasks", "validate", "demo", timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all 14 tasks valid" in done.stderr
