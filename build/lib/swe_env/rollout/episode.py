"""The agent loop: alternate policy and environment until the episode ends."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from swe_env.env import SWEEnv
from swe_env.errors import SweEnvError
from swe_env.policy.base import (
    KeepsConversation,
    Policy,
    check_policy,
    conversation_of,
    mode_of,
    tokens_of,
)
from swe_env.policy.chat import AgentConfig
from swe_env.policy.errors import ContextExhausted, ContextLengthExceeded
from swe_env.retry import RetryPolicy
from swe_env.rollout.agent import cut_observation
from swe_env.rollout.trajectory import Step, Trajectory

INFRA_RETRY = RetryPolicy(retries=2, initial=1.0, max_wait=30.0, jitter=0.0)
"""Infrastructure retries of a whole episode: 1 s, 2 s, 4 s, … capped at 30 s, no jitter
(each attempt starts a fresh environment; a thundering herd is not the concern here)."""


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


def _turn_record(policy: Policy) -> dict[str, Any]:
    """Token fields of the policy's last completion, if it is a model with one."""
    reporter = tokens_of(policy)
    comp = reporter.last_completion if reporter is not None else None
    if reporter is None or comp is None:
        return {}
    return {
        "tokens": comp.tokens,
        "token_ids": comp.token_ids,
        "logprobs": comp.logprobs,
        "top_logprobs": comp.top_logprobs,
        "prompt_token_ids": comp.prompt_token_ids,
        "usage": comp.usage or None,
        "finish_reason": comp.finish_reason,
        "n_tool_calls": len(comp.tool_calls) if reporter.mode == "tools" else None,
    }


def _record_turn(
    traj: Trajectory,
    policy: Policy,
    rebuild_messages: bool,
    action: Any,
    obs: str,
    info: dict[str, Any],
    policy_seconds: float,
    tool_seconds: float,
) -> None:
    """Append one turn to ``traj``: its step and, if the policy keeps none, its messages."""
    if rebuild_messages:
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


def _ends_on_format_error(
    traj: Trajectory, agent: AgentConfig | None, info: dict[str, Any], ended: bool
) -> bool:
    """Count the step's malformed action, if it was one; True if strict format then ends
    the episode (``ended``: it ended anyway)."""
    if info.get("error_kind") != "format":
        return False
    traj.format_errors += 1
    return bool(agent and agent.strict_format and not ended)


def _adopt_conversation(
    traj: Trajectory, chat: KeepsConversation, obs: str, info: dict[str, Any], stepped: bool
) -> None:
    """Take the messages, tools and sampling the policy kept, as the model saw them; the
    last observation first, if the episode ended on a step."""
    if stepped:
        chat.observe(obs, {**info, "final": True})
    traj.messages = list(chat.messages)
    traj.tools = chat.tools
    traj.sampling = dict(chat.sampling or {})


def _finish(traj: Trajectory, info: dict[str, Any], terminated: bool, truncated: bool) -> None:
    """Fill in the outcome of the episode: usage totals, end state, patch and grade."""
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


def _reset_options(task_id: str, snapshot: str | None) -> dict[str, Any]:
    return {"task_id": task_id, "snapshot": snapshot} if snapshot else {"task_id": task_id}


def _new_trajectory(
    policy: Policy, rebuild_messages: bool, obs: str, info: dict[str, Any], sample: int
) -> Trajectory:
    """The record of an episode that has just been reset."""
    return Trajectory(
        task_id=info["task_id"], sample=sample, policy=policy.name, model=policy.model,
        messages=[{"role": "user", "content": obs}] if rebuild_messages else [],
        mode=mode_of(policy), forked_from=info.get("forked_from"),
        reset_seconds=(info.get("timings") or {}).get("reset", 0.0),
    )  # fmt: skip


def run_episode(
    env: SWEEnv,
    policy: Policy,
    task_id: str,
    *,
    sample: int = 0,
    seed: int | None = None,
    agent: AgentConfig | None = None,
    snapshot: str | None = None,
) -> Trajectory:
    """Run one episode of ``task_id`` (from a ``SWEEnv.snapshot`` id: ``forked_from``).

    ``agent`` adds the loop's rules: long observations cut, strict format (the first
    malformed action ends the episode, ``truncation="format_error"``). A policy that
    runs out of context ends the episode as truncated (``truncation="context"``).
    A policy that keeps its conversation (:class:`~swe_env.policy.KeepsConversation`)
    supplies the trajectory's messages itself, as the model saw them.

    Raises:
        TypeError: ``policy`` is not a :class:`~swe_env.policy.Policy` (before reset).
        SweEnvError: an infrastructure fault; the caller retries or records it.
    """
    started = time.monotonic()
    policy = check_policy(policy)
    chat = conversation_of(policy)
    obs, info = env.reset(seed=seed, options=_reset_options(task_id, snapshot))
    traj = _new_trajectory(policy, chat is None, obs, info, sample)
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
        _record_turn(traj, policy, chat is None, action, obs, info, policy_seconds, tool_seconds)
        traj.reward = float(reward)
        if _ends_on_format_error(traj, agent, info, terminated or truncated):
            truncated, info = True, {**info, "truncation": "format_error"}
        remaining = max_turns - info["turn"] if max_turns else None
        act_info = {**info, "sample": sample, "remaining_turns": remaining}
    if chat is not None:
        _adopt_conversation(traj, chat, obs, info, stepped)
    _finish(traj, info, terminated, truncated)
    traj.seconds = time.monotonic() - started
    return traj


def run_with_retries(
    make_env: Callable[[], Any],
    make_policy: Callable[[], Policy],
    task_id: str,
    *,
    sample: int = 0,
    retries: int = INFRA_RETRY.retries,
    agent: AgentConfig | None = None,
    backoff: float = INFRA_RETRY.initial,
) -> Trajectory:
    """Run an episode, retrying infrastructure faults on a fresh environment.

    Waits between attempts follow :data:`INFRA_RETRY` (``retries`` and ``backoff``, its
    first wait, override it). An episode that still fails is returned with
    ``status="infra_error"`` and reward 0, marked so that trainers mask it rather than
    score it as the agent's failure.
    """
    errors: list[str] = []
    name = "?"

    def attempt() -> Trajectory:
        nonlocal name
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
            raise
        finally:
            if env is not None:
                with contextlib.suppress(SweEnvError):
                    env.close()

    retry = RetryPolicy(**{**INFRA_RETRY.model_dump(), "retries": retries, "initial": backoff})
    try:
        traj = retry.retrying(SweEnvError)(attempt)
    except SweEnvError:
        return Trajectory.infra_failure(task_id, sample, errors, policy=name)
    return traj
