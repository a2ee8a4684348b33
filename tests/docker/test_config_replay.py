"""The config written next to a run's trajectories reproduces the run (``--config
OUT/config.yaml``), and ``run --config`` uses the file's settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from swe_env.images.build import ensure_images
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASK = "demo/inicfg-delimiter-in-value"


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images([t for t in load_suite("demo") if t.full_id == TASK], docker_client)


def swe_env(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "swe_env", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def episodes(out: Path) -> list[tuple]:
    lines = (out / "trajectories.jsonl").read_text().splitlines()
    return sorted(
        (r["task_id"], r["sample"], r["turns"], r["reward"], r["resolved"], r["patch"])
        for r in map(json.loads, lines)
    )


def test_the_written_config_reproduces_the_run(tmp_path: Path) -> None:
    start = tmp_path / "start.yaml"
    start.write_text(
        yaml.safe_dump(
            {
                "env": {"max_turns": 5},
                "policy": {"type": "replay"},
                "runner": {"type": "local", "concurrency": 1},
            }
        )
    )
    first = tmp_path / "first"
    done = swe_env(
        "rollout", "--config", start, "--task", TASK, "--max-turns", "30", "--out", first
    )
    assert done.returncode == 0, done.stderr
    written = yaml.safe_load((first / "config.yaml").read_text())
    assert written["env"]["max_turns"] == 30  # the flag beat the file
    assert written["env"]["task_ids"] == [TASK] and written["runner"]["concurrency"] == 1
    [(task, _, _, reward, resolved, patch)] = episodes(first)
    assert task == TASK and resolved and reward == 1.0 and patch

    again = tmp_path / "again"
    done = swe_env("rollout", "--config", first / "config.yaml", "--out", again)
    assert done.returncode == 0, done.stderr
    assert episodes(again) == episodes(first)
    assert (again / "config.yaml").read_text() == (first / "config.yaml").read_text()


def test_run_uses_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"env": {"max_turns": 1, "task_ids": [TASK]}}))
    out = tmp_path / "out"
    done = swe_env("run", "--config", config, "--out", out)
    assert done.returncode == 0, done.stderr
    [(task, _, turns, reward, resolved, _)] = episodes(out)
    assert task == TASK and turns == 1 and not resolved and reward == 0.0
    assert yaml.safe_load((out / "config.yaml").read_text())["env"]["max_turns"] == 1
