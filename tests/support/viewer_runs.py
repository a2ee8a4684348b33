"""Synthetic runs for the viewer's tests and benchmark: trajectory records shaped by the
real :class:`~swe_env.rollout.trajectory.Trajectory` model (GRPO groups, tokens and
logprobs, edits, grades, infra errors), written as ``trajectories.jsonl``."""

from __future__ import annotations

import random
from pathlib import Path

from swe_env.rollout.trajectory import Step, Trajectory

PATCH = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,3 +1,3 @@
 def add(a, b):
-    return a - b
+    return a + b
"""


def _steps(rng: random.Random, n: int, with_logprobs: bool) -> list[Step]:
    steps = []
    for turn in range(1, n + 1):
        if turn == n:
            action = {"name": "submit", "arguments": {}}
        elif turn % 3 == 2:
            args = {"path": "calc.py", "old_str": "    return a - b", "new_str": "    return a + b"}
            action = {"name": "edit", "arguments": args}
        else:
            action = {"name": "bash", "arguments": {"command": f"pytest -q tests/ -k case{turn}"}}
        observation = "\n".join(f"line {i}: collected {rng.randint(1, 99)} items" for i in range(8))
        count = rng.randint(20, 60)
        steps.append(
            Step(
                turn=turn,
                action=action,
                observation=observation,
                policy_seconds=rng.uniform(0.2, 3.0),
                tool_seconds=rng.uniform(0.01, 1.5),
                tokens=[f"tok{i}" for i in range(count)] if with_logprobs else None,
                logprobs=[-rng.expovariate(2.0) for _ in range(count)] if with_logprobs else None,
                usage={"prompt_tokens": 900 + 150 * turn, "completion_tokens": count},
            )
        )
    return steps


def _grade(task: str, resolved: bool) -> dict:
    f2p, p2p = ["tests/test_calc.py::test_add"], ["tests/test_calc.py::test_sub"]
    return {
        "task_id": task,
        "resolved": resolved,
        "status": "resolved" if resolved else "unresolved",
        "tests": {f2p[0]: "PASSED" if resolved else "FAILED", p2p[0]: "PASSED"},
        "fail_to_pass": {"passed": f2p if resolved else [], "failed": [] if resolved else f2p},
        "pass_to_pass": {"passed": p2p, "failed": []},
        "apply_method": "git apply",
    }


def synthetic_record(index: int, samples: int, rng: random.Random) -> Trajectory:
    """The ``index``-th episode: task ``index // samples``, sample ``index % samples``."""
    task, sample = f"synth__task-{index // samples:05d}", index % samples
    if rng.random() < 0.01:
        return Trajectory.infra_failure(task, sample, ["DockerUnavailable: engine went away"])
    resolved = rng.random() < 0.4
    steps = _steps(rng, rng.randint(4, 14), with_logprobs=index % 2 == 0)
    usage = {
        "prompt_tokens": sum(s.usage["prompt_tokens"] for s in steps if s.usage),
        "completion_tokens": sum(s.usage["completion_tokens"] for s in steps if s.usage),
    }
    return Trajectory(
        task_id=task,
        sample=sample,
        policy="synthetic",
        model="tiny-test-model",
        messages=[
            {"role": "user", "content": f"Fix add() in calc.py ({task})."},
            *(
                m
                for s in steps
                for m in (
                    {"role": "assistant", "content": f"Next, turn {s.turn}: {s.action['name']}."},
                    {"role": "user", "content": s.observation},
                )
            ),
        ],
        steps=steps,
        reward=1.0 if resolved else 0.0,
        resolved=resolved,
        terminated=True,
        patch=PATCH,
        grade=_grade(task, resolved),
        turns=len(steps),
        seconds=sum(s.policy_seconds + s.tool_seconds for s in steps),
        usage=usage,
    )


def write_synthetic_run(out: Path, episodes: int, samples: int = 4, seed: int = 0) -> Path:
    """Write ``episodes`` records to ``out/trajectories.jsonl``; returns that file."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "trajectories.jsonl"
    with path.open("w") as fh:
        for i in range(episodes):
            fh.write(synthetic_record(i, samples, rng).model_dump_json() + "\n")
    return path
