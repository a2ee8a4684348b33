"""One real episode through each adapter: a demo task, real containers, the real grader.

The policy replays the task's gold patch as CWM text actions (the scripted server
returns them as token ids), so the episode is resolved and graded 1.0.
"""

from __future__ import annotations

import asyncio

import pytest
from integrations.fixtures.chatml import ChatMLTokenizer
from integrations.fixtures.verl_server import ScriptedServerManager, build_loop

from swe_env.env import SWEEnv
from swe_env.images.build import ensure_images
from swe_env.integrations import skyrl
from swe_env.policy.replay import text_plan
from swe_env.tasks import load_suite

pytestmark = pytest.mark.docker

TASK = "demo/textkit-slug-trailing-separator"


@pytest.fixture(scope="module")
def gold_actions(docker_client) -> list[str]:
    tasks = load_suite("demo")
    ensure_images(tasks, docker_client)
    task = next(t for t in tasks if t.full_id == TASK)
    return text_plan(task.gold_patch)


def test_a_skyrl_episode_on_a_real_container(gold_actions: list[str]) -> None:
    env = skyrl.SWETextEnv(env_config={"suite": "demo"}, extras={"task_id": TASK})
    try:
        prompt, meta = env.init([{"role": "user", "content": "placeholder"}])
        assert meta["task_id"] == TASK and "<tool: submit>" in prompt[-1]["content"]
        outputs = [env.step(action) for action in gold_actions]
    finally:
        env.close()
    assert [o["done"] for o in outputs] == [False] * (len(outputs) - 1) + [True]
    assert outputs[-1]["reward"] == 1.0 and env.get_metrics()["resolved"] == 1.0


def test_a_verl_episode_on_a_real_container(loop_class: type, gold_actions: list[str]) -> None:
    server = ScriptedServerManager(ChatMLTokenizer(), gold_actions)
    env = SWEEnv(suite="demo", tool_format="text")
    loop = build_loop(loop_class, server, env)
    out = asyncio.run(loop.run({"temperature": 1.0}, task_id=TASK, raw_prompt=[]))
    assert out.reward_score == 1.0 and out.extra_fields["resolved"] is True
    sampled = [i for i, m in zip(out.response_ids, out.response_mask, strict=True) if m]
    assert sampled == [i for ids in server.returned for i in ids]
    assert len(server.returned) == len(gold_actions) == out.extra_fields["swe_env_turns"]
    assert env.sandbox is None  # closed: the container is released
