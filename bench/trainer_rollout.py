"""What the TRL adapter adds to an episode: flattening the turns' ids, masking, the
history check and building TRL's rows, as a share of the episode itself.

Episodes: demo tasks, each replayed (the gold patch) through the tiny local model, so
every turn has real prompt and completion ids. value = adapter milliseconds per
episode (the rollout function's time minus the episodes' own, measured around each);
baseline = episode milliseconds; ratio = value / baseline (goal: under 0.01).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.env_config import SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.integrations import trl as adapter
from swe_env.integrations.hf_policy import TransformersPolicy
from swe_env.integrations.tiny import tiny_model, tiny_tokenizer
from swe_env.policy.replay import ReplayPolicy
from swe_env.sandbox.docker import docker_client
from swe_env.tasks import load_suite

EPISODES = 6


class Trainer:
    """What ``rollout_func`` reads of a trainer here: its model and tokenizer."""

    def __init__(self) -> None:
        self.processing_class = tiny_tokenizer()
        self.model = tiny_model(len(self.processing_class))


def main() -> None:
    tasks = [t for t in load_suite("demo") if t.gold_patch][:EPISODES]
    ensure_images(tasks, docker_client())
    trainer = Trainer()
    episode_seconds: list[float] = []
    real_run = adapter.run_with_retries

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return real_run(*args, **kwargs)
        finally:
            episode_seconds.append(time.perf_counter() - t0)

    adapter.run_with_retries = timed
    rollout = adapter.make_rollout_func(
        tasks,
        lambda task, sample, tr: TransformersPolicy(
            tr.model, tr.processing_class, script=ReplayPolicy(task)
        ),
        env=SWEEnvConfig(suite="demo", max_turns=12),
        concurrency=1,  # one at a time: the episodes' own time is then the sum
    )
    prompts = [[{"role": "user", "content": adapter._task_prompt(t)}] for t in tasks]
    t0 = time.perf_counter()
    out = rollout(prompts, trainer)
    total = time.perf_counter() - t0
    resolved = sum(out["resolved"])
    episode = statistics.mean(episode_seconds)
    value = (total - sum(episode_seconds)) / len(tasks)
    tokens = statistics.mean(len(c) for c in out["completion_ids"])
    print(
        f"{len(tasks)} episodes ({resolved} resolved, {tokens:.0f} completion ids each): "
        f"episode {episode * 1e3:.0f} ms, adapter {value * 1e3:.2f} ms per episode"
    )
    report("trainer_rollout_overhead", value * 1e3, "ms", episode * 1e3, value / episode)


if __name__ == "__main__":
    main()
