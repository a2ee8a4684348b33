"""The TRL rollout function on swe-env's Ray runner (a local cluster): the rows come back
in the order TRL sent them, with the flattened ids of real episodes."""

from __future__ import annotations

import pytest
import ray

from swe_env.env_config import SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.integrations.hf_policy import TransformersPolicy
from swe_env.integrations.tiny import tiny_model, tiny_tokenizer
from swe_env.integrations.trl import make_rollout_func, prompt_text, swe_dataset
from swe_env.policy.config import AgentConfig
from swe_env.policy.replay import ReplayPolicy
from swe_env.rollout.config import RayRunnerConfig
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

IDS = ["demo/textkit-slug-trailing-separator", "demo/inicfg-delimiter-in-value"]


def test_rows_run_on_the_ray_runner_in_order(docker_client) -> None:
    tasks = [t for t in load_suite("demo") if t.full_id in IDS]
    ensure_images(tasks, docker_client)
    tokenizer = tiny_tokenizer()
    model = tiny_model(len(tokenizer))

    def make_policy(task, sample, trainer) -> TransformersPolicy:
        assert trainer is None  # the trainer stays in the driver
        return TransformersPolicy(model, tokenizer, script=ReplayPolicy(task))

    rollout = make_rollout_func(
        tasks,
        make_policy,
        env=SWEEnvConfig(suite="demo", max_turns=12),
        agent=AgentConfig(max_observation_tokens=256),
        ray=RayRunnerConfig(per_node=2),
    )
    rows = [row["prompt"] for row in swe_dataset(tasks)]
    prompts = [rows[1], rows[0], rows[1], rows[0]]  # two per task, interleaved as TRL may
    ray.init(num_cpus=2, resources={"swe_env": 1}, include_dashboard=False)
    try:
        out = rollout(prompts, None)
    finally:
        ray.shutdown()
    wanted = [next(t.full_id for t in tasks if t.problem_statement.strip() in prompt_text(p))
              for p in prompts]  # fmt: skip
    assert out["task_id"] == wanted
    assert out["status"] == ["ok"] * 4
    assert all(r == 1.0 for r in out["reward"]), out["reward"]
    for ids, mask, lps in zip(out["completion_ids"], out["env_mask"], out["logprobs"], strict=True):
        assert len(ids) == len(mask) == len(lps) and 0 in mask and 1 in mask
