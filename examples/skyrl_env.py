"""Run one swe-env episode through SkyRL's environment API (``skyrl_gym.make``).

    pip install -e '.[skyrl]'
    python examples/skyrl_env.py [--task demo/textkit-slug-trailing-separator]

Needs Docker (the demo images are built on first use) and no GPU and no model: the
"policy" replays the task's gold patch as CWM text actions, so the episode is graded
1.0. In training, SkyRL's generator makes the same calls with the model's text (see
the README's "Train with SkyRL").
"""

from __future__ import annotations

import argparse

import skyrl_gym

from swe_env.integrations import skyrl
from swe_env.policy.replay import text_plan
from swe_env.tasks import load_suite


def gold_actions(task_id: str) -> list[str]:
    """The task's gold patch as text actions, then submit."""
    task = next(t for t in load_suite("demo") if task_id in (t.id, t.full_id))
    return text_plan(task.gold_patch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="demo/textkit-slug-trailing-separator")
    args = parser.parse_args()
    skyrl.register()  # id "swe_env" in skyrl_gym's registry
    env = skyrl_gym.make("swe_env", env_config={"suite": "demo"}, extras={"task_id": args.task})
    try:
        prompt, meta = env.init([{"role": "system", "content": "You fix bugs."}])
        print(f"task {meta['task_id']}: prompt of {len(prompt[-1]['content'])} chars")
        for action in gold_actions(args.task):
            out = env.step(action)
            print(f"turn {env.turns}: reward {out['reward']} done {out['done']}")
            if out["done"]:
                break
        print("metrics:", env.get_metrics())
    finally:
        env.close()


if __name__ == "__main__":
    main()
