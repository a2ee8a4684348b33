"""Bad user input to the swe-env command: one clear error line, a non-zero exit, no
traceback. Each case runs the real command in a subprocess, as a user would.

Read-only places are made with ``chattr +i`` (we run as root, which ignores mode bits).
None of these commands reaches the Docker engine: the input is refused first.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import swe_env

TASK = "inicfg-delimiter-in-value"


def assert_one_error_line(done: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit non-zero, no traceback, and exactly one ``error:`` line naming ``needles``."""
    text = done.stdout + done.stderr
    assert done.returncode not in (0, None), text
    assert "Traceback" not in text and "Exception" not in text, text
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, text
    assert done.stderr.rstrip().splitlines()[-1] == errors[0], "the error is the last word"
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """An immutable directory (root cannot write in it either)."""
    path = tmp_path / "read-only"
    path.mkdir()
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        with pytest.raises(PermissionError):
            (path / "probe").write_text("x")
        yield path
    finally:
        subprocess.run(["chattr", "-R", "-i", str(path)], check=True)


def _suite_with_binary_task(tmp_path: Path) -> Path:
    suite = tmp_path / "suite"
    (suite / "t1").mkdir(parents=True)
    (suite / "t1" / "task.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    return suite


def test_a_binary_task_yaml(tmp_path):
    suite = _suite_with_binary_task(tmp_path)
    assert_one_error_line(swe_env("tasks", "list", suite), "task.yaml", "not UTF-8")
    assert_one_error_line(swe_env("run", "--suite", suite), "task.yaml", "not UTF-8")


def test_a_binary_gold_patch(tmp_path):
    src = Path(__file__).resolve().parents[2] / "tasks" / "demo" / TASK
    suite = tmp_path / "suite"
    shutil.copytree(src, suite / TASK)
    (suite / TASK / "gold.patch").write_bytes(b"\xff\xfe\x00 not a patch")
    assert_one_error_line(swe_env("tasks", "list", suite), "gold_patch", "not UTF-8")


def test_predictions_that_are_a_directory(tmp_path):
    done = swe_env("evaluate", "--predictions", tmp_path, "--report", tmp_path / "r.json")
    assert_one_error_line(done, "--predictions", "directory")


def test_predictions_that_do_not_exist(tmp_path):
    done = swe_env("evaluate", "--predictions", tmp_path / "nope.jsonl")
    assert_one_error_line(done, "--predictions", "no such file")


def test_predictions_without_one_valid_line(tmp_path):
    preds = tmp_path / "preds.jsonl"
    lines = ["not json", json.dumps({"instance_id": "demo-nope", "model_patch": "x"}), "[1]"]
    preds.write_text("\n".join(lines) + "\n")
    done = swe_env("evaluate", "--predictions", preds, "--report", tmp_path / "r.json")
    assert_one_error_line(done, "no valid prediction")
    assert done.stderr.count("skipped") == 3, "each bad line is still reported"
    assert not (tmp_path / "r.json").exists()


def _valid_predictions(tmp_path: Path) -> Path:
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"instance_id": TASK, "model_patch": "", "model": "m"}) + "\n")
    return preds


def test_a_report_in_a_read_only_directory(tmp_path, read_only):
    done = swe_env(
        "evaluate", "--predictions", _valid_predictions(tmp_path), "--report", read_only / "r.json"
    )
    assert_one_error_line(done, "--report", "cannot write")


def test_a_report_that_is_a_directory_or_under_a_file(tmp_path):
    preds = _valid_predictions(tmp_path)
    done = swe_env("evaluate", "--predictions", preds, "--report", tmp_path)
    assert_one_error_line(done, "--report", "directory")
    done = swe_env("evaluate", "--predictions", preds, "--report", preds / "r.json")
    assert_one_error_line(done, "--report", "is a file")


@pytest.mark.parametrize("command", ["run", "rollout"])
def test_an_out_dir_that_is_a_file(tmp_path, command):
    file = tmp_path / "out"
    file.write_text("not a directory")
    done = swe_env(command, "--policy", "replay", "--task", TASK, "--out", file)
    assert_one_error_line(done, "--out", "is a file")


@pytest.mark.parametrize("command", ["run", "rollout"])
def test_an_out_dir_that_is_read_only(read_only, command):
    done = swe_env(command, "--policy", "replay", "--task", TASK, "--out", read_only)
    assert_one_error_line(done, "--out", "cannot write")
    done = swe_env(command, "--policy", "replay", "--task", TASK, "--out", read_only / "sub")
    assert_one_error_line(done, "--out", "cannot write")


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    record = {
        "task_id": f"demo/{TASK}",
        "sample": 0,
        "policy": "replay",
        "status": "ok",
        "messages": [{"role": "user", "content": "hi"}],
    }
    (run / "trajectories.jsonl").write_text(json.dumps(record) + "\n")
    return run


@pytest.mark.parametrize("fmt", ["parquet", "sft"])
def test_export_to_a_read_only_directory(tmp_path, read_only, fmt):
    run = _run_dir(tmp_path)
    done = swe_env("trajectories", "export", run, "--format", fmt, "--out", read_only / "x")
    assert_one_error_line(done, "--out", "cannot write")


def test_export_into_a_read_only_run_dir(tmp_path):
    run = _run_dir(tmp_path)
    subprocess.run(["chattr", "+i", str(run)], check=True)
    try:
        assert_one_error_line(swe_env("trajectories", "export", run), "cannot write")
        done = swe_env("trajectories", "export", run, "--out", tmp_path / "ok.parquet")
        assert done.returncode == 0, done.stderr
    finally:
        subprocess.run(["chattr", "-i", str(run)], check=True)


def test_trajectories_of_a_binary_file(tmp_path):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    assert_one_error_line(swe_env("trajectories", "stats", blob), "no trajectory record")
    assert_one_error_line(swe_env("trajectories", "export", blob), "no trajectory record")


def test_a_token_file_that_is_a_directory(tmp_path):
    done = swe_env("serve", "--port", "1", "--token-file", tmp_path)
    assert_one_error_line(done, "--token-file", "directory")


def test_import_into_a_read_only_suite(tmp_path, read_only):
    file = tmp_path / "instances.jsonl"
    file.write_text("{}\n")
    done = swe_env("tasks", "import-swebench", file, "--out", read_only / "suite")
    assert_one_error_line(done, "--out", "cannot write")
    assert_one_error_line(
        swe_env("tasks", "import-swebench", tmp_path, "--out", tmp_path / "s"), "directory"
    )


def test_factory_on_an_unsupported_repository_says_why_in_one_line(tmp_path):
    assert_one_error_line(swe_env("tasks", "env", tmp_path), "not a Python project")
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = "<3.8"\n')
    assert_one_error_line(swe_env("tasks", "env", tmp_path, "--no-run"), "Python version")
    done = swe_env("tasks", "mutate", tmp_path / "missing", "--out", tmp_path / "out")
    assert_one_error_line(done, "not a directory")
