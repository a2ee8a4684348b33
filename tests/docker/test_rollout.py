"""The agent loop against the real environment, driven by a scripted OpenAI-compatible
server: tool calls, tokens and logprobs in the trajectory, format errors as
observations, strict mode, and infrastructure faults retried or masked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from support.scripted_server import (
    ScriptedChatServer,
    completion_body,
    tool_call,
    turn_script,
)

from swe_env.env import SWEEnv, SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.policy import AgentConfig, ChatPolicyFactory, PolicyConfig
from swe_env.rollout.export import read_trajectories, stats
from swe_env.rollout.local import run_job, run_local
from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.tasks import load_suite

pytestmark = pytest.mark.docker


def envs(config: SWEEnvConfig):
    """A fresh environment per attempt."""
    return lambda: SWEEnv(config)


TASK_ID = "demo/textkit-slug-trailing-separator"
OTHER_ID = "demo/inicfg-delimiter-in-value"
TASKS = {t.full_id: t for t in load_suite("demo")}


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images([TASKS[TASK_ID], TASKS[OTHER_ID]], docker_client)


def apply_gold(request: dict[str, Any]) -> dict[str, Any]:
    """A bash call that applies the task's gold patch (the task is named in the prompt)."""
    first = request["messages"][1]["content"]
    task = TASKS[TASK_ID] if "slugify()" in first else TASKS[OTHER_ID]
    command = f"git apply - <<'EOF_GOLD'\n{task.gold_patch}EOF_GOLD"
    return completion_body(
        None, [tool_call("bash", command=command)], token_ids=[11, 12, 13], ids_as_tokens=True
    )


SOLVE_TOOLS = [
    completion_body(None, [tool_call("bash", command="ls")], token_ids=[1, 2], ids_as_tokens=True),
    completion_body("Hmm, I am not sure what to do.", token_ids=[3], ids_as_tokens=True),
    apply_gold,
    completion_body(None, [tool_call("submit")], token_ids=[4], ids_as_tokens=True),
]


def factory(server: ScriptedChatServer, agent: AgentConfig | None = None, **kw: Any):
    cfg = PolicyConfig(base_url=server.url, model="scripted", backoff_initial=0.01, **kw)
    return ChatPolicyFactory(cfg, agent or AgentConfig())


def containers(docker_client, task_id: str) -> list:
    labels = [f"{LABEL_PREFIX}.task={task_id}", f"{LABEL_PREFIX}.owner-pid={os.getpid()}"]
    return docker_client.containers.list(all=True, filters={"label": labels})


def test_scripted_model_solves_a_task_in_tools_mode(docker_client) -> None:
    with ScriptedChatServer(turn_script(SOLVE_TOOLS)) as server:
        make = factory(server, vllm_token_ids=True)
        traj = run_job(envs(SWEEnvConfig(suite="demo")), TASKS[TASK_ID], make, 0, agent=make.agent)
        make.close()
        first_request = server.requests[0]
    assert traj.status == "ok" and traj.terminated and traj.resolved and traj.reward == 1.0
    assert traj.turns == 4 and traj.format_errors == 1
    assert [s.error_kind for s in traj.steps][:2] == [None, "format"]
    assert "No tool call found" in traj.steps[1].observation
    assert [s.token_ids for s in traj.steps] == [[1, 2], [3], [11, 12, 13], [4]]
    assert all(s.logprobs and len(s.logprobs) == len(s.token_ids or []) for s in traj.steps)
    assert traj.usage["prompt_tokens"] == 400 and traj.model == "scripted"
    roles = [m["role"] for m in traj.messages]
    assert roles[:2] == ["system", "user"] and roles.count("assistant") == 4
    assert traj.messages[2]["tool_calls"][0]["function"]["name"] == "bash"
    assert traj.messages[3]["role"] == "tool"
    assert traj.messages[3]["tool_call_id"] == traj.messages[2]["tool_calls"][0]["id"]
    assert traj.messages[5] == {"role": "user", "content": traj.steps[1].observation}
    assert traj.tools and {t["function"]["name"] for t in traj.tools} >= {"bash", "submit"}
    assert first_request["tools"] == traj.tools
    assert "slugify()" in first_request["messages"][1]["content"]
    assert not containers(docker_client, TASK_ID)


def test_text_mode_episode_truncates_at_max_turns(docker_client) -> None:
    replies = [completion_body("Let me look.\n<tool: bash>\necho hi there\n</tool>")]
    with ScriptedChatServer(turn_script(replies)) as server:
        make = factory(server, mode="text")
        config = SWEEnvConfig(suite="demo", tool_format="text", max_turns=2)
        traj = run_job(envs(config), TASKS[TASK_ID], make, 1, agent=make.agent)
        prompt = server.requests[0]["messages"][1]["content"]
    assert "<tool: bash>" in prompt  # the text-format instructions
    assert traj.truncated and traj.truncation == "max_turns" and traj.turns == 2
    assert traj.steps[0].observation.strip() == "hi there" and traj.reward == 0.0
    assert traj.messages[-1] == {"role": "user", "content": traj.steps[-1].observation}


def test_strict_mode_ends_the_episode_as_a_format_failure(docker_client) -> None:
    replies = [completion_body("<tool: bash>\nls\n")]  # never closed
    with ScriptedChatServer(turn_script(replies)) as server:
        agent = AgentConfig(strict_format=True)
        make = factory(server, agent, mode="text")
        config = SWEEnvConfig(suite="demo", tool_format="text")
        traj = run_job(envs(config), TASKS[TASK_ID], make, 0, agent=agent)
    assert traj.status == "ok" and traj.truncated and not traj.terminated
    assert traj.truncation == "format_error" and traj.turns == 1 and traj.reward == 0.0
    assert "is not closed" in traj.steps[0].observation


def test_policy_server_gone_is_an_infra_error(docker_client) -> None:
    server = ScriptedChatServer(turn_script(SOLVE_TOOLS))
    url = server.url
    server.stop()
    cfg = PolicyConfig(base_url=url, model="scripted", retries=1, backoff_initial=0.01)
    make = ChatPolicyFactory(cfg)
    traj = run_job(envs(SWEEnvConfig(suite="demo")), TASKS[TASK_ID], make, 0, retries=1)
    assert traj.status == "infra_error" and traj.reward == 0.0 and not traj.resolved
    assert len(traj.infra_errors) == 2
    assert all(e.startswith("PolicyUnavailable") for e in traj.infra_errors)
    assert not containers(docker_client, TASK_ID)


def test_container_removed_mid_episode_is_retried(docker_client) -> None:
    removed: list[str] = []

    def remove_container(request: dict[str, Any]) -> dict[str, Any]:
        if not removed:
            for c in containers(docker_client, TASK_ID):
                c.remove(force=True)
                removed.append(c.id)
        return completion_body(None, [tool_call("bash", command="ls")])

    replies = [SOLVE_TOOLS[0], remove_container, *SOLVE_TOOLS[2:]]
    with ScriptedChatServer(turn_script(replies)) as server:
        make = factory(server)
        traj = run_job(envs(SWEEnvConfig(suite="demo")), TASKS[TASK_ID], make, 0, agent=make.agent)
    assert removed
    assert traj.status == "ok" and traj.resolved
    assert len(traj.infra_errors) == 1 and traj.infra_errors[0].startswith("SandboxError")


def test_local_runner_with_a_model_policy(docker_client, tmp_path: Path) -> None:
    with ScriptedChatServer(turn_script(SOLVE_TOOLS)) as server:
        make = factory(server, max_concurrency=2)
        config = SWEEnvConfig(suite="demo")
        tasks = [TASKS[TASK_ID], TASKS[OTHER_ID]]
        results = run_local(
            config, tasks, make, tmp_path, samples=2, concurrency=4, agent=make.agent
        )
        assert make.client.peak_in_flight <= 2
        make.close()
        again = run_local(config, tasks, make, tmp_path, samples=2, concurrency=4)
    assert again == []  # resumed: nothing left to do
    assert sorted((t.task_id, t.sample) for t in results) == sorted(
        (t.full_id, k) for t in tasks for k in range(2)
    )
    records = read_trajectories(tmp_path)
    summary = stats(records)
    assert summary["episodes"] == 4 and summary["resolved"] == 4
    assert summary["format_errors"] == 4 and summary["mixed_groups"] == 0
    assert summary["completion_tokens"] == 4 * 7
