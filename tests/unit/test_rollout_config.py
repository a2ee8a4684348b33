"""RolloutConfig: one model for a run, loaded from ``--config FILE``, overridden by the
flags given (never by flags left at their defaults), written without secrets; a bad
file is one error line and exit 2. And the one task selector."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from support.cli import swe_env
from typer.testing import CliRunner

from swe_env.cli import app
from swe_env.cli import rollout as rollout_cli
from swe_env.cli import run as run_cli
from swe_env.env import SWEEnv
from swe_env.rollout.config import (
    LocalRunnerConfig,
    OpenAIPolicyConfig,
    RayRunnerConfig,
    ReplayPolicyConfig,
    RolloutConfig,
    read_yaml_mapping,
)
from swe_env.tasks import load_suite
from swe_env.tasks.select import select_tasks

TASK = "inicfg-delimiter-in-value"


def one_error_line(done: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    text = done.stdout + done.stderr
    assert done.returncode == code, text
    assert "Traceback" not in text, text
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and done.stderr.rstrip().splitlines()[-1] == errors[0], text
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def test_round_trip_keeps_every_setting_but_the_secret(tmp_path: Path) -> None:
    config = RolloutConfig.model_validate(
        {
            "env": {"suite": "demo", "task_ids": [TASK], "max_turns": 7, "reward": "binary_pm1"},
            "agent": {"context_tokens": 4096, "strict_format": True},
            "policy": {"type": "openai", "model": "m", "mode": "text", "api_key": "sk-secret"},
            "runner": {"type": "ray", "per_node": 3, "address": "auto"},
            "samples": 4,
            "retries": 0,
        }
    )
    assert config.env.tool_format == "text"  # follows the policy's mode
    config.write(tmp_path / "config.yaml")
    assert "sk-secret" not in (tmp_path / "config.yaml").read_text()
    again = RolloutConfig.model_validate(read_yaml_mapping(tmp_path / "config.yaml"))
    assert again.policy.api_key is None
    assert again.model_dump(exclude={"policy": {"api_key"}}) == config.model_dump(
        exclude={"policy": {"api_key"}}
    )
    assert isinstance(again.runner, RayRunnerConfig) and again.runner.per_node == 3


def test_runner_and_policy_configs_forbid_unknown_keys() -> None:
    for model in (LocalRunnerConfig, RayRunnerConfig, ReplayPolicyConfig, RolloutConfig):
        with pytest.raises(ValueError, match="Extra inputs"):
            model.model_validate({"concurrencyy": 2})
    with pytest.raises(ValueError, match="Extra inputs"):
        OpenAIPolicyConfig.model_validate({"model": "m", "temprature": 0.5})


def test_a_tool_format_that_does_not_suit_the_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="tool_format"):
        RolloutConfig.model_validate({"env": {"tool_format": "text"}, "policy": {"type": "replay"}})


def capture_config(monkeypatch: pytest.MonkeyPatch, module: Any, *args: str) -> Any:
    """Run the real command in-process up to its resolved config, and return that."""
    seen: list[Any] = []
    original = getattr(module.resolve, "original", module.resolve)

    def resolve_then_stop(*a: Any) -> Any:
        seen.append(original(*a))
        raise typer.Exit(0)

    resolve_then_stop.original = original  # type: ignore[attr-defined]
    monkeypatch.setattr(module, "resolve", resolve_then_stop)
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return seen[0]


FILE = {
    "env": {"suite": "demo", "task_ids": [TASK], "max_turns": 7, "max_seconds": 99.0},
    "policy": {"type": "openai", "model": "from-file", "sampling": {"temperature": 0.3}},
    "runner": {"type": "local", "concurrency": 3},
    "samples": 5,
}


def test_the_file_is_used_and_default_flags_do_not_override_it(tmp_path, monkeypatch) -> None:
    path = write(tmp_path / "c.yaml", FILE)
    config = capture_config(monkeypatch, rollout_cli, "rollout", "--config", str(path))
    assert (config.env.max_turns, config.env.max_seconds, config.samples) == (7, 99.0, 5)
    assert config.policy.model == "from-file" and config.policy.sampling.temperature == 0.3
    assert config.runner.concurrency == 3 and config.env.task_ids == [TASK]


def test_flags_given_beat_the_file(tmp_path, monkeypatch) -> None:
    path = write(tmp_path / "c.yaml", FILE)
    args = ["rollout", "--config", str(path), "--max-turns", "9", "--temperature", "0.9"]
    args += ["--model", "from-flag", "--concurrency", "2", "--task", "semverlite-*"]
    config = capture_config(monkeypatch, rollout_cli, *args)
    assert config.env.max_turns == 9 and config.env.max_seconds == 99.0
    assert config.policy.model == "from-flag" and config.policy.sampling.temperature == 0.9
    assert config.runner.concurrency == 2 and config.env.task_ids == ["semverlite-*"]
    on_ray = capture_config(monkeypatch, rollout_cli, "rollout", "--config", str(path), "--ray")
    assert isinstance(on_ray.runner, RayRunnerConfig) and on_ray.runner.per_node == 4
    args = ["rollout", "--config", str(path), "--ray-address", "auto", "--concurrency", "3"]
    joined = capture_config(monkeypatch, rollout_cli, *args)
    assert (joined.runner.type, joined.runner.address, joined.runner.per_node) == ("ray", "auto", 3)
    replay = capture_config(
        monkeypatch, rollout_cli, "rollout", "--config", str(path), "--policy", "replay"
    )
    assert isinstance(replay.policy, ReplayPolicyConfig) and replay.samples == 5


def test_concurrency_without_a_config_file_gives_a_local_runner(monkeypatch) -> None:
    # Regression: the flag alone made a runner mapping without its type (exit 2).
    args = ["rollout", "--policy", "replay", "--concurrency", "2", "--task", TASK]
    config = capture_config(monkeypatch, rollout_cli, *args)
    assert config.runner.type == "local" and config.runner.concurrency == 2


def test_run_takes_the_config_too(tmp_path, monkeypatch) -> None:
    path = write(tmp_path / "c.yaml", {"env": {"max_turns": 3}, "samples": 2})
    config = capture_config(monkeypatch, run_cli, "run", "--config", str(path), "--samples", "4")
    assert config.env.max_turns == 3 and config.samples == 4
    assert isinstance(config.policy, ReplayPolicyConfig) and config.runner.concurrency == 2


BAD = [
    ({"env": {"max_turn": 3}}, "env.max_turn", "unknown key"),
    ({"env": {"max_turns": "many"}}, "env.max_turns", "'many'"),
    ({"runner": {"type": "local", "per_node": 2}}, "runner.per_node", "unknown key"),
    ({"policy": {"type": "magic"}}, "policy", "magic"),
    ("env: [unclosed\n", "not valid YAML", "line"),
    ("- a\n- b\n", "must be a mapping", "list"),
]


@pytest.mark.parametrize("command", ["run", "rollout"])
@pytest.mark.parametrize(("content", "where", "what"), BAD)
def test_a_bad_config_is_one_error_line_and_exit_2(tmp_path, command, content, where, what):
    path = write(tmp_path / "bad.yaml", content)
    done = swe_env(command, "--config", path, "--out", tmp_path / "out")
    one_error_line(done, 2, "--config", str(path), where, what)
    assert not (tmp_path / "out").exists()


def test_a_missing_or_binary_config_is_one_error_line_and_exit_2(tmp_path) -> None:
    one_error_line(swe_env("rollout", "--config", tmp_path / "nope.yaml"), 2, "no such file")
    one_error_line(swe_env("run", "--config", tmp_path), 2, "is a directory")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00\x01")
    one_error_line(swe_env("run", "--config", tmp_path / "bin.yaml"), 2, "not UTF-8")


def test_select_tasks_by_id_full_id_and_pattern() -> None:
    tasks = load_suite("demo")
    assert [t.id for t in select_tasks(tasks, [TASK])] == [TASK]
    assert [t.id for t in select_tasks(tasks, [f"demo/{TASK}"])] == [TASK]
    assert [t.id for t in select_tasks(tasks, ["inicfg-*"])] == [
        t.id for t in tasks if t.id.startswith("inicfg-")
    ]
    assert select_tasks(tasks, None) == tasks
    with pytest.raises(ValueError, match=r"unknown task id\(s\) in demo: nope, zz-\*"):
        select_tasks(tasks, [TASK, "zz-*", "nope"], "demo")


def test_the_environment_selects_with_the_same_function() -> None:
    env = SWEEnv(suite="demo", task_ids=["demo/inicfg-*"])
    assert [t.id for t in env.tasks] == [
        t.id for t in select_tasks(load_suite("demo"), ["inicfg-*"])
    ]
    with pytest.raises(ValueError, match="unknown task id"):
        SWEEnv(suite="demo", task_ids=["zz-*"])
