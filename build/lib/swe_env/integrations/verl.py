"""verl adapter: an agent loop, registered as ``"swe_env"``, that runs one swe-env
episode token-in/token-out against verl's rollout servers.

Per turn, :class:`SWEAgentLoop` sends the whole sequence so far (prompt ids + response
ids) to ``server_manager.generate(request_id, prompt_ids=..., sampling_params=...)``,
appends the ids it gets back with mask 1 and their logprobs, decodes them into the action
for :class:`~swe_env.env.SWEEnv`, and appends the observation's tokens (the chat
template's turn glue around the tool output) with mask 0 and logprob 0.0. The sampled
ids are never decoded and re-encoded into the sequence: the next turn's prompt is the
previous prompt plus exactly what the server returned, so the trainer sees the ids the
model produced. The graded reward is the output's ``reward_score``.

verl is imported when the class is first used (module ``__getattr__``): importing this
module needs no verl. verl's workers build agent loops from their registry through
hydra, so name the class in ``actor_rollout_ref.rollout.agent.agent_loop_config_path``
(``_target_: swe_env.integrations.verl.SWEAgentLoop``; extra keys such as
``env_config`` reach the constructor), as ``examples/verl_agent_loop.yaml`` does.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Callable
from typing import Any

from swe_env.integrations.rows import plain_config, task_id_of

__all__ = ["AGENT_NAME", "SWEAgentLoopMixin", "agent_loop_class", "observation_ids"]

AGENT_NAME = "swe_env"
"""The name the loop is registered under in verl's agent-loop registry."""

PLACEHOLDER = [{"role": "user", "content": "."}, {"role": "assistant", "content": "."}]
"""A stand-in history: the observation's tokens are what the template adds after it."""


def _template(tokenizer: Any, messages: list[dict[str, str]], generation: bool) -> list[int]:
    ids = tokenizer.apply_chat_template(
        messages, tokenize=True, add_generation_prompt=generation, return_dict=False
    )
    return list(ids)


def observation_ids(tokenizer: Any, observation: str) -> list[int]:
    """The tokens the chat template puts after an assistant turn for ``observation``: the
    user message holding it and the next assistant header.

    Computed as the difference between a stand-in history rendered with and without the
    observation, so only the new message is tokenised and earlier ids stay as sampled.

    Raises:
        ValueError: the template renders the stand-in history differently once a message
            follows it (it rewrites history), so no suffix is well defined.
    """
    head = _template(tokenizer, PLACEHOLDER, generation=False)
    message = {"role": "user", "content": observation}
    full = _template(tokenizer, [*PLACEHOLDER, message], generation=True)
    if full[: len(head)] != head:
        raise ValueError(
            "the chat template rewrites earlier messages when one is appended; the "
            "observation's tokens cannot be appended to the sampled ids"
        )
    return full[len(head) :]


class _Sequence:
    """The growing response: ids, loss mask and logprobs, kept the same length."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.mask: list[int] = []
        self.logprobs: list[float] | None = []

    def add_model(self, ids: list[int], logprobs: list[float] | None) -> None:
        self.ids += ids
        self.mask += [1] * len(ids)
        if self.logprobs is not None and logprobs is not None and len(logprobs) == len(ids):
            self.logprobs += [float(x) for x in logprobs]
        else:
            self.logprobs = None

    def add_environment(self, ids: list[int]) -> None:
        self.ids += ids
        self.mask += [0] * len(ids)
        if self.logprobs is not None:
            self.logprobs += [0.0] * len(ids)


class SWEAgentLoopMixin:
    """One swe-env episode per ``run``, token-in/token-out (see the module). Mixed into
    verl's ``AgentLoopBase`` by :func:`agent_loop_class`, so this module imports no verl.

    ``env_config``: :class:`~swe_env.env_config.SWEEnvConfig` fields (text actions by
    default); ``env_factory``: builds the env instead (tests, a shared sandbox provider).
    The row's ``task_id`` (or ``extra_info.task_id``) picks the task.
    """

    server_manager: Any
    tokenizer: Any
    rollout_config: Any

    def __init__(
        self,
        *args: Any,
        env_config: Any = None,
        env_factory: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("tools", None)  # verl's worker passes its tool list; swe-env has its own
        super().__init__(*args, **kwargs)
        self.env_settings = {"tool_format": "text", **plain_config(env_config)}
        self.env_factory = env_factory
        self.response_length = int(self.rollout_config.response_length)

    def _make_env(self) -> Any:
        if self.env_factory is not None:
            return self.env_factory()
        from swe_env.env import SWEEnv

        return SWEEnv(**self.env_settings)

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> Any:
        """Run one episode for the dataset row ``kwargs``: an ``AgentLoopOutput``."""
        env = await _in_thread(self._make_env)
        try:
            return await self._episode(env, sampling_params, kwargs)
        finally:
            await _in_thread(env.close)

    def _prompt_ids(self, observation: str, row: dict[str, Any]) -> list[int]:
        """The first prompt: the row's system messages, then the task as the user's text."""
        system = [m for m in row.get("raw_prompt") or [] if m.get("role") == "system"]
        messages = [*system, {"role": "user", "content": observation}]
        return _template(self.tokenizer, messages, generation=True)

    async def _episode(self, env: Any, sampling: dict[str, Any], row: dict[str, Any]) -> Any:
        task_id = task_id_of(row)
        options = {"task_id": task_id} if task_id else None
        observation, info = await _in_thread(env.reset, options=options)
        prompt = self._prompt_ids(observation, row)
        seq, request_id, reward, turns = _Sequence(), uuid.uuid4().hex, 0.0, 0
        timing = {"generate_sequences": 0.0, "tool_calls": 0.0}
        while len(seq.ids) < self.response_length:
            started = time.monotonic()
            out = await self.server_manager.generate(
                request_id, prompt_ids=prompt + seq.ids, sampling_params=sampling
            )
            timing["generate_sequences"] += time.monotonic() - started
            seq.add_model(list(out.token_ids), out.log_probs)
            action = self.tokenizer.decode(out.token_ids, skip_special_tokens=True)
            started = time.monotonic()
            observation, reward, terminated, truncated, info = await _in_thread(env.step, action)
            timing["tool_calls"] += time.monotonic() - started
            turns += 1
            if terminated or truncated:
                break
            seq.add_environment(observation_ids(self.tokenizer, observation))
        return self._output(prompt, seq, float(reward), turns, timing, info)

    def _output(
        self,
        prompt: list[int],
        seq: _Sequence,
        reward: float,
        turns: int,
        timing: dict[str, float],
        info: dict[str, Any],
    ) -> Any:
        """verl's ``AgentLoopOutput``, cut to ``response_length`` like verl's own loops."""
        from verl.experimental.agent_loop.agent_loop import AgentLoopOutput

        n = self.response_length
        grade = info.get("grade") or {}
        return AgentLoopOutput(
            prompt_ids=prompt,
            response_ids=seq.ids[:n],
            response_mask=seq.mask[:n],
            response_logprobs=seq.logprobs[:n] if seq.logprobs is not None else None,
            reward_score=reward,
            num_turns=2 * turns + 1,
            metrics=timing,
            extra_fields={
                "task_id": info.get("task_id"),
                "resolved": bool(grade.get("resolved", False)),
                "swe_env_turns": turns,
            },
        )


async def _in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Docker calls block: run them off the event loop that verl's worker shares."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


@functools.cache
def agent_loop_class() -> type:
    """``SWEAgentLoop``: :class:`SWEAgentLoopMixin` on verl's ``AgentLoopBase``, registered
    as :data:`AGENT_NAME` (verl imported here, on first use; built once)."""
    from verl.experimental.agent_loop.agent_loop import AgentLoopBase, register

    cls = type(
        "SWEAgentLoop",
        (SWEAgentLoopMixin, AgentLoopBase),
        {"__module__": __name__, "__doc__": SWEAgentLoopMixin.__doc__},
    )
    return register(AGENT_NAME)(cls)


def __getattr__(name: str) -> Any:
    if name == "SWEAgentLoop":
        return agent_loop_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
