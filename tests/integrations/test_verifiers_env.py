"""The verifiers (v1) Taskset against the installed verifiers package: its contract with
no Docker, and one scored rollout per outcome on a demo task in verifiers' own Docker
runtime, graded by ``rewards.grade`` (gold patch 1, empty patch 0)."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import uuid

import pytest
import verifiers.v1 as vf
from verifiers.v1.runtimes import make_runtime
from verifiers.v1.state import state_cls
from verifiers.v1.trace import TraceTask
from verifiers.v1.utils.compile import resolve_runtime_config

from swe_env.images.build import instance_tag
from swe_env.integrations import verifiers_env
from swe_env.integrations.verifiers_support import REPO
from swe_env.tasks import find_task

TASK = "demo/textkit-slug-trailing-separator"


def taskset(**config) -> vf.Taskset:
    config = verifiers_env.SweEnvTasksetConfig(build_images=False, **config)
    return verifiers_env.SweEnvTaskset(config)


def test_importing_the_entry_module_needs_no_verifiers():
    code = (
        "import sys; sys.modules['verifiers'] = None\n"
        "import swe_env.integrations.verifiers_env as m\n"
        "try:\n    m.SweEnvTaskset\nexcept ImportError:\n    print('lazy')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "lazy", done.stderr


def test_tasks_point_at_the_instance_images():
    tasks = list(taskset(tasks=[TASK, "demo/minicache-ttl-expiry"]))
    assert [t.data.id for t in tasks] == [TASK, "demo/minicache-ttl-expiry"]
    spec = find_task(TASK)
    first = tasks[0]
    assert first.data.image == instance_tag(spec)
    assert (first.data.workdir, first.data.prompt) == (REPO, spec.problem_statement)
    assert first.data.idx == 0 and first.NEEDS_CONTAINER
    assert len(list(taskset())) >= 14  # the whole demo suite


def test_the_reward_is_one_hook_that_needs_the_runtime():
    [task] = list(taskset(tasks=[TASK]))
    [hook] = task.hooks("reward")
    assert hook.__name__ == "resolved"
    params = inspect.signature(hook).parameters
    assert params["runtime"].default is inspect.Parameter.empty
    assert state_cls(type(task)) is verifiers_env.SweEnvState
    assert isinstance(task.config, verifiers_env.SweEnvTaskConfig)
    assert task.config.reward_name == "binary"


def test_a_runtime_config_takes_the_tasks_image_and_workdir():
    [task] = list(taskset(tasks=[TASK]))
    config = resolve_runtime_config(vf.DockerConfig(), task)
    assert (config.image, config.workdir) == (task.data.image, REPO)


async def _rollout(task: vf.Task, patch: str) -> float:
    """verifiers' own sequence for one task (as its ``validate`` command runs it): a
    runtime from the task's image, ``setup``, the agent's edits (here: ``patch``
    applied), ``finalize``, ``score``."""
    runtime = make_runtime(
        resolve_runtime_config(vf.DockerConfig(), task), name=f"swe-env-{uuid.uuid4().hex[:8]}"
    )
    trace = vf.Trace(
        task=TraceTask(type=type(task).__name__, data=task.data, key=task.key, hash=task.hash),
        state=state_cls(type(task))(),
        agent=vf.AgentInfo(config=vf.AgentConfig(), name="scripted", trainable=False),
    )
    await runtime.start()
    try:
        await task.setup(trace, runtime)
        if patch:
            await runtime.write("/tmp/agent.patch", patch.encode())
            applied = await runtime.run(["git", "-C", REPO, "apply", "/tmp/agent.patch"], {})
            assert applied.exit_code == 0, applied.stderr
        await task.finalize(trace, runtime)
        await task.score(trace, runtime)
    finally:
        await runtime.stop()
    return trace.rewards["resolved"].score


@pytest.mark.docker
@pytest.mark.slow
def test_gold_patch_scores_one_and_empty_patch_zero(docker_client):
    [task] = list(verifiers_env.SweEnvTaskset(verifiers_env.SweEnvTasksetConfig(tasks=[TASK])))
    gold = find_task(TASK).gold_patch
    assert gold
    assert asyncio.run(_rollout(task, gold)) == 1.0
    assert asyncio.run(_rollout(task, "")) == 0.0
    assert asyncio.run(task.validate(None)) is True
