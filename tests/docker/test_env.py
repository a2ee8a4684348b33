"""SWEEnv against the real engine."""

from __future__ import annotations

import os

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import swe_env.env  # noqa: F401 - registers swe_env/SWE-v0
from swe_env.env import SWEEnv
from swe_env.images.build import ensure_images
from swe_env.policy.replay import ReplayPolicy
from swe_env.rollout.episode import run_episode
from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.tasks import load_suite

pytestmark = pytest.mark.docker

TASK = "demo/textkit-slug-trailing-separator"


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images(load_suite("demo"), docker_client)


def _alive(docker_client, task_id: str) -> list:
    """This process's containers of ``task_id`` (other runs on the engine are not ours)."""
    labels = [f"{LABEL_PREFIX}.task={task_id}", f"{LABEL_PREFIX}.owner-pid={os.getpid()}"]
    return docker_client.containers.list(filters={"label": labels})


def test_make_and_check_env(docker_client):
    env = gymnasium.make("swe_env/SWE-v0", suite="demo")
    try:
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


def test_seed_picks_the_task_and_observation_has_problem_and_tools(docker_client):
    env = SWEEnv(suite="demo")
    try:
        obs1, info1 = env.reset(seed=3)
        obs2, info2 = env.reset(seed=3)
        assert info1["task_id"] == info2["task_id"] and obs1 == obs2
        task = next(t for t in env.tasks if t.full_id == info1["task_id"])
        assert task.problem_statement.strip()[:80] in obs1
        assert "submit" in obs1 and "bash" in obs1
        assert len(info1["base_commit"]) == 40
    finally:
        env.close()


def test_steps_dict_and_text_and_submit_grades(docker_client):
    env = SWEEnv(suite="demo")
    try:
        env.reset(options={"task_id": TASK})
        obs, reward, term, trunc, info = env.step({"name": "bash", "arguments": {"command": "ls"}})
        assert "textkit" in obs and reward == 0 and not term and not trunc and info["ok"]
        obs, _, _, _, info = env.step("<tool: bash>\necho from-text\n</tool>")
        assert obs.strip() == "from-text"
        obs, _, term, _, info = env.step("no tool call here")
        assert info["error_kind"] == "format" and not term
        obs, reward, term, trunc, info = env.step({"name": "submit", "arguments": {}})
        assert term and not trunc and reward == 0.0
        assert info["grade"]["status"] == "empty_patch"
        assert "grade" in info["timings"]
        with pytest.raises(RuntimeError):
            env.step({"name": "bash", "arguments": {"command": "ls"}})
    finally:
        env.close()


def test_truncation_budget_note_and_close(docker_client):
    env = SWEEnv(suite="demo", max_turns=2, budget_note=True, max_tokens=100_000)
    try:
        obs, _ = env.reset(options={"task_id": TASK})
        assert "<budget>remaining turns: 2; remaining tokens:" in obs
        obs, _, term, trunc, _ = env.step({"name": "bash", "arguments": {"command": "true"}})
        assert "remaining turns: 1" in obs and not trunc
        obs, reward, term, trunc, info = env.step(
            {"name": "bash", "arguments": {"command": "true"}}
        )
        assert trunc and not term and reward == 0 and info["truncation"] == "max_turns"
        assert _alive(docker_client, TASK)
    finally:
        env.close()
    assert not _alive(docker_client, TASK)


def test_token_budget_truncates(docker_client):
    env = SWEEnv(suite="demo", max_tokens=50)
    try:
        env.reset(options={"task_id": TASK})
        *_, trunc, info = env.step({"name": "bash", "arguments": {"command": "seq 1 500"}})
        assert trunc and info["truncation"] == "max_tokens"
    finally:
        env.close()


@pytest.mark.parametrize("reward", ["binary", "binary_pm1", "f2p_fraction", "similarity"])
def test_replay_episode_rewards(docker_client, reward):
    env = SWEEnv(suite="demo", reward=reward)
    task = next(t for t in env.tasks if t.full_id == TASK)
    try:
        traj = run_episode(env, ReplayPolicy(task), TASK)
    finally:
        env.close()
    assert traj.resolved and traj.reward == 1.0
    assert traj.patch and traj.grade["status"] == "resolved"
    assert traj.messages[0]["role"] == "user" and traj.messages[1]["tool_calls"]


def test_env_with_a_pool_reuses_nothing_and_leaks_nothing(docker_client):
    from swe_env.sandbox.pool import SandboxPool

    with SandboxPool(docker_client, size=1) as pool:
        env = SWEEnv(suite="demo", pool=pool)
        task = next(t for t in env.tasks if t.full_id == TASK)
        ids = set()
        try:
            for _ in range(2):
                traj = run_episode(env, ReplayPolicy(task), TASK)
                assert traj.resolved
                ids.add(env.sandbox.id)
        finally:
            env.close()
        assert len(ids) == 2  # a fresh container per episode
    assert not _alive(docker_client, TASK)


@pytest.mark.slow
def _step(env, command: str):
    return env.step({"name": "bash", "arguments": {"command": command}})


def test_destroying_the_container_ends_the_episode_as_the_agents_failure(docker_client):
    """A container whose main process cannot start again (its binary deleted, then every
    process killed) is the agent's doing: the episode ends with the failure reward and
    ``sandbox_destroyed``, never as an infrastructure fault a runner would retry and
    mask. ``kill -9 -1`` spares the calling shell, which may answer before the container
    goes down: then the next call finds it down."""
    env = SWEEnv(suite="demo", reward="binary_pm1")
    try:
        env.reset(options={"task_id": TASK})
        obs, reward, term, trunc, info = _step(env, "rm -f /usr/bin/sleep; kill -9 -1")
        if not term:
            assert reward == 0.0 and not trunc, (obs, info)
            obs, reward, term, trunc, info = _step(env, "ls")
        assert term and not trunc and reward == -1.0, (obs, info)
        assert info["termination"] == "sandbox_destroyed"
        assert "destroyed its filesystem" in obs
        with pytest.raises(RuntimeError, match="episode is over"):
            _step(env, "ls")
    finally:
        env.close()
    assert not _alive(docker_client, TASK)


def test_wiping_the_filesystem_ends_the_episode_as_the_agents_failure(docker_client):
    """``rm -rf /`` then ``kill -9 -1``: depending on how far the wipe gets before the
    command's timeout and on who wins the race above, the container is found destroyed
    or lives on with a wrecked filesystem, where a submission has no patch. Either way
    no call raises and the episode ends with the failure reward."""
    env = SWEEnv(suite="demo", reward="binary_pm1")
    try:
        env.reset(options={"task_id": TASK})
        wreck = "rm -rf --no-preserve-root / 2>/dev/null; kill -9 -1"
        obs, reward, term, trunc, info = _step(env, wreck)
        then = [
            {"name": "bash", "arguments": {"command": "ls"}},
            {"name": "submit", "arguments": {}},
        ]
        while not term and then:
            assert reward == 0.0 and not trunc, (obs, info)
            obs, reward, term, trunc, info = env.step(then.pop(0))
        assert term and not trunc and reward == -1.0, (obs, info)
    finally:
        env.close()
    assert not _alive(docker_client, TASK)
