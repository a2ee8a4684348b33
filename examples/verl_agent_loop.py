"""Construct swe-env's verl agent loop and run one episode on CPU.

    python examples/verl_agent_loop.py [--task demo/textkit-slug-trailing-separator]

Needs Docker and verl installed (``pip install -e '.[verl]'``); no GPU and no model.
verl's rollout servers need a GPU, but its agent-loop module imports on CPU, so this runs
the loop on verl's own ``AgentLoopBase`` with a byte-level ChatML tokenizer and a server
manager (verl's ``LLMServerClient`` with ``generate`` scripted) that answers with the gold
patch as token ids.
It prints the output's lengths, how many tokens are the model's (mask 1) and the
environment's (mask 0), and the graded reward. Training with verl on a GPU: see
the README's "Train with verl" and examples/verl_agent_loop.yaml.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from integrations.fixtures.chatml import ChatMLTokenizer
from integrations.fixtures.verl_server import ScriptedServerManager, build_loop

from swe_env.env import SWEEnv
from swe_env.integrations import verl as adapter
from swe_env.policy.replay import text_plan
from swe_env.tasks import load_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="demo/textkit-slug-trailing-separator")
    args = parser.parse_args()
    task = next(t for t in load_suite("demo") if args.task in (t.id, t.full_id))
    server = ScriptedServerManager(ChatMLTokenizer(), text_plan(task.gold_patch))
    env = SWEEnv(suite="demo", tool_format="text")
    loop = build_loop(adapter.agent_loop_class(), server, env)
    out = asyncio.run(loop.run({"temperature": 1.0}, task_id=args.task, raw_prompt=[]))
    model = sum(out.response_mask)
    print(f"prompt {len(out.prompt_ids)} tokens, response {len(out.response_ids)} tokens")
    environment = len(out.response_mask) - model
    print(f"model tokens (mask 1): {model}; environment tokens (mask 0): {environment}")
    print(f"reward {out.reward_score}, resolved {out.extra_fields['resolved']}")


if __name__ == "__main__":
    main()
