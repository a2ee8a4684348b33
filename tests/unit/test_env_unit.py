"""Unit tests for SWEEnv's Docker-free parts: config, rewards, spaces, task selection,
registration and import hygiene."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import gymnasium
import pytest
from pydantic import ValidationError

from rewards.verdict import TestBreakdown
from swe_env.env import ENV_ID, SWEEnv, SWEEnvConfig, UnicodeText, compute_reward, register
from swe_env.tasks import TaskSpec, load_suite, load_task
from swe_env.tasks.native import TASKS_DIR

DEMO_IDS = [t.id for t in load_suite(str(TASKS_DIR / "demo"))]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _default_tasks_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWE_ENV_TASKS", raising=False)


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter where any Docker connection would fail."""
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    env.pop("SWE_ENV_TASKS", None)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# -- SWEEnvConfig -----------------------------------------------------------------------


def test_config_defaults() -> None:
    config = SWEEnvConfig()
    assert config.suite == "demo"
    assert config.reward == "binary"
    assert config.sandbox.network is False


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sute": "demo"},
        {"max_turn": 5},
        {"sandbox": {"memroy": "1g"}},
        {"reward": "dense"},
        {"tool_format": "xml"},
        {"max_turns": 0},
        {"max_seconds": 0},
        {"max_tokens": 0},
    ],
)
def test_config_rejects_unknown_keys_and_bad_values(kwargs: dict) -> None:
    with pytest.raises(ValidationError):
        SWEEnvConfig(**kwargs)


def test_env_rejects_unknown_keyword() -> None:
    with pytest.raises(ValidationError, match="max_turn"):
        SWEEnv(suite="demo", max_turn=3)


def test_config_from_yaml_like_dict() -> None:
    config = SWEEnvConfig.model_validate(
        {"suite": "demo", "reward": "f2p_fraction", "sandbox": {"memory": "1g", "cpus": 2}}
    )
    assert config.sandbox.memory == "1g"
    assert config.sandbox.cpus == 2.0


# -- compute_reward -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task() -> TaskSpec:
    return load_task(TASKS_DIR / "demo" / "argkit-env-var-fallback", "demo")


def fake_grade(resolved: bool, passed: int = 0, task: TaskSpec | None = None) -> SimpleNamespace:
    listed = list(task.fail_to_pass) if task else ["t"] * passed
    breakdown = TestBreakdown(passed=listed[:passed], failed=listed[passed:])
    return SimpleNamespace(resolved=resolved, fail_to_pass=breakdown)


def test_binary_reward(task: TaskSpec) -> None:
    assert compute_reward("binary", fake_grade(True), "", task) == 1.0
    assert compute_reward("binary", fake_grade(False), "", task) == 0.0


def test_binary_pm1_reward(task: TaskSpec) -> None:
    assert compute_reward("binary_pm1", fake_grade(True), "", task) == 1.0
    assert compute_reward("binary_pm1", fake_grade(False), "", task) == -1.0


def test_f2p_fraction_reward(task: TaskSpec) -> None:
    total = len(task.fail_to_pass)
    assert compute_reward("f2p_fraction", fake_grade(False, 0, task), "", task) == 0.0
    assert compute_reward("f2p_fraction", fake_grade(False, 3, task), "", task) == 3 / total
    assert compute_reward("f2p_fraction", fake_grade(True, total, task), "", task) == 1.0


def test_similarity_reward(task: TaskSpec) -> None:
    gold = task.gold_patch or ""
    assert compute_reward("similarity", fake_grade(True), "", task) == 1.0
    assert compute_reward("similarity", fake_grade(False), gold, task) == pytest.approx(1.0)
    assert compute_reward("similarity", fake_grade(False), "", task) == 0.0
    half = gold[: len(gold) // 2]
    partial = compute_reward("similarity", fake_grade(False), half, task)
    assert 0.0 <= partial < 1.0
    no_gold = task.model_copy(update={"gold_patch": None})
    assert compute_reward("similarity", fake_grade(False), gold, no_gold) == 0.0


# -- UnicodeText ---------------------------------------------------------------------------


def test_unicode_text_accepts_any_text() -> None:
    space = UnicodeText(max_length=100)
    assert space.contains("line 1\nline 2\ttabbed  spaces")
    assert space.contains("héllo ✓ 日本語 🐍 \x00 \r\n")
    assert space.contains("x" * 100)
    assert "$ ls -la" in space


@pytest.mark.parametrize("value", [b"bytes", 5, None, ["a"], "x" * 101])
def test_unicode_text_rejects_non_str_and_too_long(value: object) -> None:
    assert not UnicodeText(max_length=100).contains(value)


def test_unicode_text_min_length() -> None:
    space = UnicodeText(min_length=2, max_length=10)
    assert not space.contains("a")
    assert space.contains("ab")
    assert space.contains(space.sample())


# -- SWEEnv without Docker -------------------------------------------------------------------


def test_construct_loads_tasks_without_docker() -> None:
    env = SWEEnv(suite="demo")
    assert [t.id for t in env.tasks] == DEMO_IDS
    assert env.sandbox is None
    assert not env.provider.connected
    assert env.task is None
    assert env.render() is None
    assert env.observation_space.contains("any\ntext")
    env.close()
    env.close()  # idempotent


def test_construct_never_imports_docker() -> None:
    out = run_python(
        """
        import sys, gymnasium
        import swe_env.env
        env = swe_env.env.SWEEnv(suite="demo", task_ids=["inicfg-delimiter-in-value"])
        made = gymnasium.make("swe_env/SWE-v0", suite="demo")
        env.close(); made.close()
        print(len(env.tasks), len(made.unwrapped.tasks), "docker" in sys.modules)
        """
    )
    assert out == "1 14 False"


def test_task_ids_filter_by_bare_and_full_id() -> None:
    env = SWEEnv(suite="demo", task_ids=[DEMO_IDS[3], f"demo/{DEMO_IDS[0]}"])
    assert [t.id for t in env.tasks] == [DEMO_IDS[0], DEMO_IDS[3]]
    config = SWEEnvConfig(task_ids=[DEMO_IDS[1], f"demo/{DEMO_IDS[1]}"])
    assert [t.id for t in SWEEnv(config).tasks] == [DEMO_IDS[1]]


def test_unknown_task_id_raises_value_error() -> None:
    with pytest.raises(ValueError, match="no-such-task"):
        SWEEnv(suite="demo", task_ids=[DEMO_IDS[0], "no-such-task"])
    with pytest.raises(ValueError, match="other/"):
        SWEEnv(suite="demo", task_ids=[f"other/{DEMO_IDS[0]}"])


def test_unknown_suite_raises() -> None:
    with pytest.raises(ValueError):
        SWEEnv(suite="no-such-suite")


def test_bad_render_mode() -> None:
    with pytest.raises(ValueError, match="render_mode"):
        SWEEnv(suite="demo", render_mode="human")


def test_step_before_reset_raises() -> None:
    env = SWEEnv(suite="demo")
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"name": "bash", "arguments": {"command": "ls"}})
    env.close()
    with pytest.raises(RuntimeError, match="reset"):
        env.step("<tool: bash>ls</tool>")


def test_reset_with_unknown_task_id_raises_before_docker() -> None:
    env = SWEEnv(suite="demo", task_ids=[DEMO_IDS[0]])
    with pytest.raises(ValueError, match="unknown task_id"):
        env.reset(options={"task_id": DEMO_IDS[1]})
    assert not env.provider.connected


def test_config_and_keywords_together_are_not_silently_ignored() -> None:
    config = SWEEnvConfig(suite="demo", max_turns=50)
    try:
        env = SWEEnv(config, max_turns=5)
    except (TypeError, ValueError):
        return  # refusing the mix is fine too
    assert env.config.max_turns == 5


# -- registration and import hygiene --------------------------------------------------------


def test_importing_swe_env_env_registers_the_id() -> None:
    assert ENV_ID == "swe_env/SWE-v0"
    assert ENV_ID in gymnasium.registry
    spec = gymnasium.spec(ENV_ID)
    assert spec.entry_point == "swe_env.env:SWEEnv"
    register()  # idempotent
    assert gymnasium.spec(ENV_ID) is spec


def test_gymnasium_make() -> None:
    env = gymnasium.make(ENV_ID, suite="demo", task_ids=[DEMO_IDS[0]], max_turns=3)
    try:
        inner = env.unwrapped
        assert isinstance(inner, SWEEnv)
        assert inner.config.max_turns == 3
        assert [t.id for t in inner.tasks] == [DEMO_IDS[0]]
    finally:
        env.close()


def test_import_swe_env_has_no_heavy_imports_and_registers_once_gymnasium_loads() -> None:
    out = run_python(
        """
        import sys, swe_env
        import swe_env.tasks, swe_env.errors
        print("docker" in sys.modules, "gymnasium" in sys.modules)
        import gymnasium
        print("swe_env/SWE-v0" in gymnasium.registry, "swe_env.env" in sys.modules)
        """
    )
    assert out.split() == ["False", "False", "True", "False"]


def test_documented_register_envs_exists() -> None:
    import swe_env

    assert "register_envs" in (swe_env.__doc__ or "")
    swe_env.register_envs()  # type: ignore[attr-defined]
    assert ENV_ID in gymnasium.registry
