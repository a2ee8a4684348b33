"""env_error without Docker: what looks like an environment failure, how it is masked in
rollouts and reported by evaluate. The real-engine checks are in tests/docker/test_env_error.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from rewards.env_failure import missing_modules, suspect
from swe_env.rollout.episode import run_episode, run_with_retries
from swe_env.rollout.evaluate import Prediction, summary

PYTEST_MISSING = "/opt/venv/bin/python: No module named pytest\n"
BASH_MISSING = "bash: line 1: pytest: command not found\n"
SH_MISSING = "/bin/sh: 1: ./tests/runtests.py: not found\n"
COLLECTION = (
    "ERROR tests/test_a.py\nE   ModuleNotFoundError: No module named 'yaml.constructor'\n"
    "ImportError: No module named 'calc.new'\n"
)


@pytest.mark.parametrize(
    ("log", "code", "tests", "needle"),
    [
        (PYTEST_MISSING, 1, {}, "could not start"),
        (BASH_MISSING, 127, {}, "could not start"),
        (SH_MISSING, 127, {}, "could not start"),
        ("", 127, {}, "could not be run"),
        ("Traceback ... boom\n", 4, {}, "no test result"),
        (COLLECTION, 2, {"tests/test_a.py": "ERROR"}, "yaml, calc"),
    ],
)
def test_suspect_runs(log: str, code: int, tests: dict, needle: str) -> None:
    assert needle in (suspect(log, code, tests) or "")


@pytest.mark.parametrize(
    ("log", "code", "tests", "outside"),
    [
        (PYTEST_MISSING, 1, {"t::a": "PASSED"}, None),  # a test ran: the harness works
        (PYTEST_MISSING, 1, {"t::a": "FAILED", "t::b": "ERROR"}, None),
        ("all good\n", 0, {}, None),  # nothing parsed but a clean exit: no suspicion
        (COLLECTION, 2, {"tests/test_a.py": "ERROR"}, []),  # every missing module is the repo's
        ("SyntaxError: invalid syntax\n", 2, {"tests/test_a.py": "ERROR"}, None),
        # A test printing a line that merely ends in "not found" is no shell error.
        ("key not found\n", 1, {"t::a": "ERROR"}, None),
        ("No module named 'pytest_cov'\n", 1, {"t::a": "ERROR"}, []),
    ],
)
def test_not_suspect(log: str, code: int, tests: dict, outside: list[str] | None) -> None:
    assert suspect(log, code, tests, outside) is None


def test_missing_modules_top_level_once() -> None:
    assert missing_modules(COLLECTION + COLLECTION) == ["yaml", "calc"]


class _Env:
    """An env whose one step submits and whose grader reports an environment failure."""

    def __init__(self, env_error: str | None) -> None:
        self.env_error = env_error

    def reset(self, seed=None, options=None) -> tuple[str, dict[str, Any]]:
        return "obs", {"task_id": options["task_id"]}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        status = "env_error" if self.env_error else "unresolved"
        info: dict[str, Any] = {"turn": 1, "ok": True, "patch": "p"}
        info["grade"] = {"status": status, "resolved": False}
        if self.env_error:
            info["env_error"] = self.env_error
        return "done", 0.0, True, False, info

    def close(self) -> None:
        pass


class _Policy:
    name = "scripted"
    model = "scripted"

    def act(self, obs: str, info: dict[str, Any]) -> str:
        return "submit"


def test_env_error_episode_is_masked_not_scored() -> None:
    traj = run_episode(_Env("the test runner could not start"), _Policy(), "t")
    assert traj.status == "infra_error" and not traj.resolved
    assert traj.infra_errors == ["env_error: the test runner could not start"]
    kept = run_with_retries(lambda: _Env("x"), _Policy, "t", retries=0)
    assert kept.status == "infra_error" and kept.infra_errors == ["env_error: x"]
    plain = run_episode(_Env(None), _Policy(), "t")
    assert plain.status == "ok" and plain.infra_errors == []


def test_summary_reports_env_errors_apart() -> None:
    preds = [Prediction(i, "m", "p", n) for n, i in enumerate("abcd")]
    outcome = {"a": "resolved", "b": "env_error", "c": "error", "d": "unresolved"}
    report = summary(list("abcde"), preds, outcome)
    assert report["error_ids"] == ["b", "c"] and report["env_error_ids"] == ["b"]
    assert report["error_instances"] == 2 and report["env_error_instances"] == 1
    assert report["completed_ids"] == ["a", "d"] and report["unresolved_ids"] == ["d"]


def test_env_grades_env_error_as_info_not_as_the_agents_failure(monkeypatch) -> None:
    import rewards.grade
    from rewards.grade import Grade
    from swe_env.env import SWEEnv

    env = SWEEnv(suite="demo", reward="binary_pm1")  # -1 would be the agent's failure
    env.task = env.tasks[0]
    env._client = object()
    broken = Grade(task_id="t", resolved=False, status="env_error", error="no pytest")
    monkeypatch.setattr(rewards.grade, "grade", lambda *a, **k: broken)
    info: dict[str, Any] = {"timings": {}}
    assert env._grade("diff", info) == 0.0
    assert info["env_error"] == "no pytest" and info["grade"]["status"] == "env_error"
    failed = broken.model_copy(update={"status": "unresolved", "error": None})
    monkeypatch.setattr(rewards.grade, "grade", lambda *a, **k: failed)
    info = {"timings": {}}
    assert env._grade("diff", info) == -1.0 and "env_error" not in info
