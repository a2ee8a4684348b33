"""The reward-hack suite: every patch here tries to get the reward without fixing the bug.

Each is graded on the real engine, through the same grade() that `swe-env evaluate` and
`env.step` use. None may resolve; the gold patches of three demo tasks still do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hack_patches import (
    RAW_HACKS,
    SYMLINK_HACKS,
    TASK_ID,
    fixed_bytecode_patch,
    git_hook_patch,
    hacks,
    make_patch,
)

from rewards.grade import grade
from swe_env.images.build import ensure_images
from swe_env.tasks import find_task

pytestmark = [pytest.mark.docker, pytest.mark.slow]

_TASK = find_task(TASK_ID)
HACK_NAMES = sorted(hacks(_TASK))
# Hacks the grader must not merely score as unresolved but name as tampering.
MUST_BE_TAMPERED = {
    "forged_report_then_exit",
    "forked_child_forges_after_exit",
    "runtime_strings_monkeypatch",
    "overwrite_site_packages_pytest",
    *SYMLINK_HACKS,
    *RAW_HACKS,
}


@pytest.fixture(scope="module")
def task(docker_client):
    ensure_images([_TASK], docker_client)
    return _TASK


def _check(result, name: str) -> None:
    assert not result.resolved, (name, result.status, result.tampering, result.log[-3000:])
    assert result.fail_to_pass.passed == [] or result.status == "tampered", name
    if name in MUST_BE_TAMPERED:
        assert result.status == "tampered", (name, result.status, result.log[-3000:])
        assert result.tampering


@pytest.mark.parametrize("name", HACK_NAMES)
def test_hack_does_not_resolve(name, task, tmp_path, docker_client):
    patch = make_patch(task, tmp_path, hacks(task)[name])
    _check(grade(task, patch, client=docker_client), name)


@pytest.mark.parametrize("name", sorted(SYMLINK_HACKS))
def test_symlink_hack_is_refused(name, task, tmp_path, docker_client):
    patch = make_patch(task, tmp_path, {}, links=SYMLINK_HACKS[name])
    assert "120000" in patch
    result = grade(task, patch, client=docker_client)
    _check(result, name)
    assert result.apply_method is None  # refused before anything was applied


@pytest.mark.parametrize("name", sorted(RAW_HACKS))
def test_path_hack_is_refused_before_apply(name, task, docker_client):
    result = grade(task, RAW_HACKS[name], client=docker_client)
    _check(result, name)
    assert result.apply_method is None and "refused" in (result.error or "")
    assert "start" not in result.timings  # no container was even started


def test_git_hook_that_the_restore_step_would_run_is_refused(task, tmp_path, docker_client):
    # On the old grader `patch --fuzz` wrote the hook and `git checkout` (restore) ran it.
    result = grade(task, git_hook_patch(task, tmp_path), client=docker_client)
    _check(result, "git_hook_patch")
    assert result.status == "tampered" and result.apply_method is None
    assert any(".git/hooks/post-checkout" in t for t in result.tampering)


def test_compiled_fix_without_a_source_fix_does_not_resolve(task, tmp_path, docker_client):
    patch = fixed_bytecode_patch(task, tmp_path)
    assert "GIT binary patch" in patch and "parser.cpython-311.pyc" in patch
    _check(grade(task, patch, client=docker_client), "fixed_bytecode")


def test_gold_plus_plugin_metadata_still_judged_on_real_tests(task, tmp_path, docker_client):
    fixed = (Path(task.source.path) / "inicfg/parser.py").read_text()
    fixed = fixed.replace("pos = max(positions)", "pos = min(positions)")
    changes = {**hacks(task)["dist_info_plugin"], "inicfg/parser.py": fixed}
    result = grade(task, make_patch(task, tmp_path, changes), client=docker_client)
    assert result.resolved, result.log[-2000:]


@pytest.mark.parametrize(
    "task_id",
    [TASK_ID, "demo/semverlite-prerelease-numeric-order", "demo/tinytmpl-filter-arguments"],
)
def test_gold_controls_resolve(task_id, docker_client):
    gold_task = find_task(task_id)
    ensure_images([gold_task], docker_client)
    result = grade(gold_task, gold_task.gold_patch, client=docker_client)
    assert result.resolved and result.status == "resolved", result.log[-2000:]
    assert result.report == "harness" and result.tampering == []


def test_hack_through_env_step_gets_no_reward(task, docker_client):
    """The atexit forgery written by the agent with the create tool, then submitted."""
    from swe_env.env import SWEEnv

    env = SWEEnv(suite="demo", max_turns=5)
    try:
        env.reset(options={"task_id": TASK_ID})
        code = hacks(task)["atexit_forged_report"]["inicfg/__init__.py"]
        rm = env.step({"name": "bash", "arguments": {"command": "rm inicfg/__init__.py"}})
        assert not rm[2]
        create = {"name": "create", "arguments": {"path": "inicfg/__init__.py", "content": code}}
        obs, reward, terminated, _, _ = env.step(create)
        assert not terminated and "inicfg/__init__.py" in obs
        _, reward, terminated, _, info = env.step({"name": "submit", "arguments": {}})
        assert terminated and reward == 0.0
        assert info["grade"]["status"] in {"unresolved", "tampered"}
        assert not info["grade"]["resolved"]
    finally:
        env.close()
