"""GRPO with TRL on swe-env episodes (``rollout_func``): one episode per row, the
model's own token ids trained, the environment's tokens masked.

    ./dev swe-env images build --suite demo        # once: the demo task images
    .venv/bin/python examples/trl_grpo.py --steps 1 # tiny random model, CPU, no hub

With ``--model DIR`` (a local causal LM and its tokenizer, e.g. a Qwen3 checkpoint you
have on disk) the same loop trains that model. Here the policy is the trainer's own
model, sampling token by token (``TransformersPolicy``); on a GPU cluster, point
``make_policy`` at your vLLM server instead (``ChatPolicy`` with ``vllm_token_ids``).
``--gold-every K`` replays the gold patch through the model in every K-th episode of a
group (teacher forcing), so that a model that cannot solve anything yet still sees
rewards that differ within a group.
"""

from __future__ import annotations

import argparse
import tempfile

import trl

from swe_env.env_config import SWEEnvConfig
from swe_env.integrations.hf_policy import TransformersPolicy
from swe_env.integrations.trl import make_rollout_func, swe_dataset, swe_reward
from swe_env.policy.config import AgentConfig
from swe_env.policy.replay import ReplayPolicy
from swe_env.tasks import load_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="demo")
    parser.add_argument("--task", default="demo/textkit-slug-trailing-separator")
    parser.add_argument("--model", help="a local model directory (default: tiny random)")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--gold-every", type=int, default=2, help="0: never replay gold")
    args = parser.parse_args()

    if args.model:
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(args.model, padding_side="left")
        model = transformers.AutoModelForCausalLM.from_pretrained(args.model)
    else:
        from swe_env.integrations.tiny import tiny_model, tiny_tokenizer

        tokenizer = tiny_tokenizer()
        model = tiny_model(len(tokenizer))
    tasks = [t for t in load_suite(args.suite) if not args.task or t.full_id == args.task]

    def make_policy(task, sample: int, trainer) -> TransformersPolicy:
        gold = args.gold_every and sample % args.gold_every == 0 and task.gold_patch
        script = ReplayPolicy(task) if gold else None
        return TransformersPolicy(trainer.model, trainer.processing_class, script=script)

    rollout = make_rollout_func(
        tasks,
        make_policy,
        env=SWEEnvConfig(suite=args.suite, max_turns=8),
        agent=AgentConfig(strict_format=True, max_observation_tokens=256),
        on_episode=lambda traj, flat: print(
            f"{traj.task_id} sample {traj.sample}: reward {traj.reward}, {traj.turns} turns, "
            f"{flat.model_tokens} model / {len(flat.completion_ids)} completion tokens"
        ),
    )
    config = trl.GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="swe-env-grpo-"),
        per_device_train_batch_size=args.generations,
        num_generations=args.generations,
        max_steps=args.steps,
        learning_rate=1e-3,
        beta=0.0,
        use_cpu=not __import__("torch").cuda.is_available(),
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        max_completion_length=8192,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[swe_reward],
        args=config,
        train_dataset=swe_dataset(tasks),
        processing_class=tokenizer,
        rollout_func=rollout,
    )
    trainer.train()


if __name__ == "__main__":
    main()
