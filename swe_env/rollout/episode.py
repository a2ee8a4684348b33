"""The agent loop: alternate policy and environment until the episode ends."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Protocol

from swe_env.env import SWEEnv
from swe_env.errors import SweEnvError
from swe_env.rollout.trajectory import Step, Trajectory


class Policy(Protocol):
    """Anything that maps (observation, info) to an action."""

    name: str
    model: str

    def act(self, observation: str, info: dict[str, Any]) -> Any: ...


def _assistant_message(action: Any) -> tuple[dict[str, Any], str | None]:
    """The chat message for ``action`` and its tool-call id (None for text actions)."""
    if isinstance(action, str):
        return {"role": "assistant", "content": action}, None
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    name = action.get("name") or action.get("function", {}).get("name")
    args = action.get("arguments", action.get("function", {}).get("arguments", {}))
    if not isinstance(args, str):
        args = json.dumps(args or {})
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}, call_id


def run_episode(
    env: SWEEnv, policy: Policy, task_id: str, *, sample: int = 0, seed: int | None = None
) -> Trajectory:
    """Run one episode of ``task_id``.

    Raises:
        SweEnvError: an infrastructure fault; the caller retries or records it.
    """
    started = time.monotonic()
    obs, info = env.reset(seed=seed, options={"task_id": task_id})
    traj = Trajectory(
        task_id=info["task_id"],
        sample=sample,
        policy=policy.name,
        model=getattr(policy, "model", ""),
        messages=[{"role": "user", "content": obs}],
    )
    terminated = truncated = False
    while not (terminated or truncated):
        t0 = time.monotonic()
        action = policy.act(obs, info)
        policy_seconds = time.monotonic() - t0
        t1 = time.monotonic()
        obs, reward, terminated, truncated, info = env.step(action)
        message, call_id = _assistant_message(action)
        traj.messages.append(message)
        if call_id:
            traj.messages.append({"role": "tool", "tool_call_id": call_id, "content": obs})
        else:
            traj.messages.append({"role": "user", "content": obs})
        traj.steps.append(
            Step(
                turn=info["turn"],
                action=action,
                observation=obs,
                ok=info["ok"],
                error_kind=info.get("error_kind"),
                policy_seconds=policy_seconds,
                tool_seconds=time.monotonic() - t1,
            )
        )
        traj.reward = float(reward)
    traj.terminated, traj.truncated = terminated, truncated
    traj.truncation = info.get("truncation")
    traj.patch = info.get("patch", "")
    traj.grade = info.get("grade")
    traj.resolved = bool(traj.grade and traj.grade.get("resolved"))
    traj.turns = len(traj.steps)
    traj.seconds = time.monotonic() - started
    return traj


def run_with_retries(
    make_env: Any, make_policy: Any, task_id: str, *, sample: int = 0, retries: int = 2
) -> Trajectory:
    """Run an episode, retrying infrastructure faults on a fresh environment.

    An episode that still fails is returned with ``status="infra_error"`` and reward 0,
    marked so that trainers mask it rather than score it as the agent's failure.
    """
    errors: list[str] = []
    name = "?"
    for _ in range(retries + 1):
        env = make_env()
        try:
            policy = make_policy()
            name = policy.name
            traj = run_episode(env, policy, task_id, sample=sample)
            traj.infra_errors = errors
            return traj
        except SweEnvError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            env.close()
    return Trajectory(
        task_id=task_id, sample=sample, policy=name, infra_errors=errors, status="infra_error"
    )
