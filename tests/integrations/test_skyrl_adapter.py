"""The SkyRL adapter against skyrl_gym as installed, and SkyRL 0.3.0's GeneratorOutput
keys (fixtures/skyrl_0_3_0.py: the trainer package does not import on Python 3.11)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import skyrl_gym
from integrations.fixtures import skyrl_0_3_0
from integrations.fixtures.scripted_env import ScriptedEnv
from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput
from support.steps import token_step

from swe_env.integrations import skyrl
from swe_env.integrations.tokens import RetokenizedHistory
from swe_env.rollout.trajectory import Step, Trajectory

SUBMIT = "<tool: submit>\n</tool>"


def test_importing_the_adapters_needs_no_trainer() -> None:
    code = (
        "import sys\n"
        "sys.modules.update({'skyrl_gym': None, 'verl': None, 'skyrl': None})\n"
        "import swe_env.integrations.skyrl, swe_env.integrations.verl\n"
        "assert not {'skyrl_gym', 'verl', 'torch'} & {m for m in sys.modules if sys.modules[m]}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_class_is_a_base_text_env_registered_as_swe_env() -> None:
    cls = skyrl.text_env_class()
    assert issubclass(cls, BaseTextEnv) and cls is skyrl.SWETextEnv
    skyrl.register()
    skyrl.register()  # idempotent
    assert skyrl_gym.spec("swe_env").entry_point == "swe_env.integrations.skyrl:SWETextEnv"
    env = skyrl_gym.make("swe_env", env_config={}, extras={"task_id": "demo/x"}, env=ScriptedEnv())
    assert isinstance(env, cls) and env.task_id == "demo/x"


def test_an_episode_through_init_step_close() -> None:
    fake = ScriptedEnv()
    extras = {"extra_info": {"task_id": "demo/second"}, "max_turns": 5}
    env = skyrl.SWETextEnv(env_config=None, extras=extras, env=fake)
    system = {"role": "system", "content": "You are an engineer."}
    prompt, meta = env.init([system, {"role": "user", "content": "placeholder"}])
    assert prompt == [system, {"role": "user", "content": "Fix the bug."}]
    assert fake.options == {"task_id": "demo/second"} and meta["task_id"] == "demo/second"
    out = env.step("<tool: bash>\nls\n</tool>")
    assert set(BaseTextEnvStepOutput.__required_keys__) <= set(out)
    assert out["observations"] == [{"role": "user", "content": "ran: <tool: bash>\nls\n</tool>"}]
    assert not out["done"] and out["reward"] == 0.0
    last = env.step(SUBMIT)
    assert last["done"] and last["reward"] == 1.0 and last["observations"] == []
    assert env.get_metrics() == {"turns": 2, "reward": 1.0, "resolved": 1.0}
    env.close()
    assert fake.closed


def test_env_settings_default_to_text_actions_and_take_the_rows_turns() -> None:
    settings = skyrl._env_settings({"suite": "demo", "max_turns": 9}, {"max_turns": 3})
    assert settings == {"tool_format": "text", "suite": "demo", "max_turns": 3}


def _step(turn: int, prompt: list[int], sampled: list[int], with_lp: bool = True) -> Step:
    step = token_step(turn, prompt, sampled, [-0.5] * len(sampled))
    return step if with_lp else step.model_copy(update={"logprobs": None})


def _trajectory(reward: float, with_lp: bool = True) -> Trajectory:
    steps = [
        _step(1, [1, 2], [10, 11], with_lp),
        _step(2, [1, 2, 10, 11, 20, 21, 22], [12], with_lp),
    ]
    return Trajectory(task_id="demo/x", policy="p", steps=steps, reward=reward, turns=2)


def test_generator_output_matches_skyrl_and_masks_the_environment() -> None:
    out = skyrl.generator_output([_trajectory(1.0), _trajectory(0.0)])
    assert set(skyrl_0_3_0.REQUIRED) <= set(out) <= set(skyrl_0_3_0.GeneratorOutput.__annotations__)
    assert out["prompt_token_ids"] == [[1, 2], [1, 2]]
    assert out["response_ids"][0] == [10, 11, 20, 21, 22, 12]
    assert out["loss_masks"][0] == [1, 1, 0, 0, 0, 1]
    assert out["rollout_logprobs"][0] == [-0.5, -0.5, 0.0, 0.0, 0.0, -0.5]
    assert out["rewards"] == [1.0, 0.0] and out["stop_reasons"] == ["stop", "stop"]
    for key in ("response_ids", "loss_masks", "rollout_logprobs"):
        assert [len(x) for x in out[key]] == [6, 6]


def test_generator_output_drops_logprobs_when_a_trajectory_has_none() -> None:
    out = skyrl.generator_output([_trajectory(1.0), _trajectory(0.0, with_lp=False)])
    assert out["rollout_logprobs"] is None


def test_generator_output_refuses_a_rewritten_history() -> None:
    bad = _trajectory(1.0)
    bad.steps[1].prompt_token_ids = [1, 2, 10, 99, 20]
    with pytest.raises(RetokenizedHistory, match="turn 2"):
        skyrl.generator_output([bad])
