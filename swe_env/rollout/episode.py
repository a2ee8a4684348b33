"""The agent loop: alternate policy and environment until the episode ends."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Any, Protocol

from swe_env.env import SWEEnv
from swe_env.errors import SweEnvError
from swe_env.policy import ContextLengthExceeded
from swe_env.rollout.agent import AgentConfig, ContextExhausted, cut_observation
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


def _turn_record(policy: Any) -> dict[str, Any]:
    """Token fields of the policy's last completion, if it is a model with one."""
    comp = getattr(policy, "last_completion", None)
    if comp is None:
        return {}
    return {
        "tokens": comp.tokens,
        "token_ids": comp.token_ids,
        "logprobs": comp.logprobs,
        "top_logprobs": comp.top_logprobs,
        "prompt_token_ids": comp.prompt_token_ids,
        "usage": comp.usage or None,
        "finish_reason": comp.finish_reason,
        "n_tool_calls": len(comp.tool_calls) if getattr(policy, "mode", None) == "tools" else None,
    }


def run_episode(
    env: SWEEnv,
    policy: Policy,
    task_id: str,
    *,
    sample: int = 0,
    seed: int | None = None,
    agent: AgentConfig | None = None,
) -> Trajectory:
    """Run one episode of ``task_id``.

    ``agent`` adds the loop's rules: long observations cut, strict format (the first
    malformed action ends the episode, ``truncation="format_error"``). A policy that
    runs out of context ends the episode as truncated (``truncation="context"``).
    A chat policy (one with ``messages`` and ``observe``) supplies the trajectory's
    messages itself, as the model saw them.

    Raises:
        SweEnvError: an infrastructure fault; the caller retries or records it.
    """
    started = time.monotonic()
    obs, info = env.reset(seed=seed, options={"task_id": task_id})
    chat = hasattr(policy, "observe") and hasattr(policy, "messages")
    traj = Trajectory(
        task_id=info["task_id"],
        sample=sample,
        policy=policy.name,
        model=getattr(policy, "model", ""),
        messages=[] if chat else [{"role": "user", "content": obs}],
        mode=getattr(policy, "mode", None),
    )
    max_turns = getattr(getattr(env, "config", None), "max_turns", None)
    obs_limit = agent.max_observation_tokens if agent else None
    act_info = {**info, "sample": sample, "remaining_turns": max_turns}
    terminated = truncated = False
    stepped = False
    while not (terminated or truncated):
        t0 = time.monotonic()
        try:
            action = policy.act(obs, act_info)
        except (ContextExhausted, ContextLengthExceeded):
            truncated, stepped = True, False
            info = {**info, "truncation": "context"}
            break
        policy_seconds = time.monotonic() - t0
        t1 = time.monotonic()
        obs, reward, terminated, truncated, info = env.step(action)
        tool_seconds = time.monotonic() - t1
        stepped = True
        obs = cut_observation(obs, obs_limit)
        if not chat:
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
                tool_seconds=tool_seconds,
                **_turn_record(policy),
            )
        )
        traj.reward = float(reward)
        if info.get("error_kind") == "format":
            traj.format_errors += 1
            if agent and agent.strict_format and not (terminated or truncated):
                truncated = True
                info = {**info, "truncation": "format_error"}
        remaining = max_turns - info["turn"] if max_turns else None
        act_info = {**info, "sample": sample, "remaining_turns": remaining}
    if chat:
        if stepped:
            policy.observe(obs, {**info, "final": True})  # type: ignore[attr-defined]
        traj.messages = list(policy.messages)  # type: ignore[attr-defined]
        traj.tools = getattr(policy, "tools", None)
        traj.sampling = dict(getattr(policy, "sampling", {}) or {})
    for step in traj.steps:
        for key, value in (step.usage or {}).items():
            if key in ("prompt_tokens", "completion_tokens", "total_tokens"):
                traj.usage[key] = traj.usage.get(key, 0) + value
    traj.terminated, traj.truncated = terminated, truncated
    traj.truncation = info.get("truncation")
    traj.patch = info.get("patch", "")
    traj.grade = info.get("grade")
    traj.resolved = bool(traj.grade and traj.grade.get("resolved"))
    if info.get("env_error"):  # the harness could not grade: masked like an infra fault
        traj.status = "infra_error"
        traj.infra_errors.append(f"env_error: {info['env_error']}")
    traj.turns = len(traj.steps)
    traj.seconds = time.monotonic() - started
    return traj


def run_with_retries(
    make_env: Any,
    make_policy: Any,
    task_id: str,
    *,
    sample: int = 0,
    retries: int = 2,
    agent: AgentConfig | None = None,
    backoff: float = 1.0,
) -> Trajectory:
    """Run an episode, retrying infrastructure faults on a fresh environment.

    An episode that still fails is returned with ``status="infra_error"`` and reward 0,
    marked so that trainers mask it rather than score it as the agent's failure.
    """
    errors: list[str] = []
    name = "?"
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(30.0, backoff * 2 ** (attempt - 1)))
        env = None
        try:
            env = make_env()
            policy = make_policy()
            name = policy.name
            traj = run_episode(env, policy, task_id, sample=sample, agent=agent)
            traj.infra_errors = [*errors, *traj.infra_errors]
            return traj
        except SweEnvError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            if env is not None:
                with contextlib.suppress(SweEnvError):
                    env.close()
    return Trajectory(
        task_id=task_id, sample=sample, policy=name, infra_errors=errors, status="infra_error"
    )
