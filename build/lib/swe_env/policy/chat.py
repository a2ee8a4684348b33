"""The model side of the agent loop: a chat history around a policy client.

:class:`ChatPolicy` turns an :class:`~swe_env.policy.client.OpenAIPolicyClient` (which
knows no environment) into the ``act(observation, info) -> action`` policy the loop
drives. It keeps the conversation (system prompt, the problem statement with the tool
descriptions, then assistant turns and observations), enforces the context budget, and
remembers each completion's tokens and logprobs for the trajectory: it has both optional
capabilities of :mod:`swe_env.policy.base`.
"""

from __future__ import annotations

import threading
from typing import Any

from swe_env.policy.client import OpenAIPolicyClient
from swe_env.policy.completion import Completion
from swe_env.policy.config import AgentConfig, PolicyConfig
from swe_env.policy.errors import ContextExhausted

UNLIMITED_CONTEXT = 1 << 30
"""What :meth:`ChatPolicy.context_left` reports without a context budget."""

CHARS_PER_TOKEN = 4
"""Token estimate for text the server has not counted yet (as the environment does)."""


def _estimate(messages: list[dict[str, Any]]) -> int:
    chars = 0
    for msg in messages:
        chars += len(msg.get("content") or "")
        for call in msg.get("tool_calls") or []:
            chars += len(str(call.get("function", {}).get("arguments", ""))) + 16
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


class ChatPolicy:
    """A model behind an OpenAI-compatible server, as a :class:`Policy`.

    One instance per episode (it holds the conversation); share the client. The
    actions it returns: in text mode the reply's content (the environment parses the
    CWM tags); in tools mode the assistant message itself, so the environment's parser
    reports a reply with no tool call or with several as a format error.

    Raises (from :meth:`act`):
        ContextExhausted, ContextLengthExceeded: the conversation is out of context.
        PolicyUnavailable, PolicyRequestError: infrastructure faults.
    """

    name = "openai"

    def __init__(
        self, client: OpenAIPolicyClient, config: AgentConfig | None = None, *, sample: int = 0
    ) -> None:
        self.client = client
        self.config = config or AgentConfig()
        self.mode = client.config.mode
        self.model = client.config.model
        self.sample = sample
        self.messages: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] | None = None
        self.last_completion: Completion | None = None
        self._context_used = 0  # prompt + completion tokens of the last turn
        self._counted = 0  # messages covered by _context_used

    @property
    def sampling(self) -> dict[str, Any]:
        """The sampling parameters in force, for the trajectory record."""
        params = self.client.config.sampling.model_dump()
        params["seed"] = self._seed()
        return params

    def _seed(self) -> int | None:
        base = self.client.config.sampling.seed
        return None if base is None else base + self.sample

    def _note(self, info: dict[str, Any]) -> str:
        parts = []
        if info.get("remaining_turns") is not None:
            parts.append(f"remaining turns: {info['remaining_turns']}")
        if self.config.context_tokens:
            parts.append(f"remaining context tokens: {self.context_left()}")
        return "\n<budget>" + "; ".join(parts) + "</budget>" if parts else ""

    def context_left(self) -> int:
        """Context tokens left before the next completion (an estimate for new text)."""
        if not self.config.context_tokens:
            return UNLIMITED_CONTEXT
        pending = _estimate(self.messages[self._counted :])
        return max(0, self.config.context_tokens - self._context_used - pending)

    def observe(self, observation: str, info: dict[str, Any] | None = None) -> None:
        """Append an observation to the conversation without asking the model."""
        info = info or {}
        if not self.messages:
            self.sample = int(info.get("sample", self.sample))
            self.tools = info.get("tools") if self.mode == "tools" else None
            self.messages = [
                {"role": "system", "content": self.config.system_prompt},
                {"role": "user", "content": observation},
            ]
            if self.config.budget_note:
                self.messages[-1]["content"] += self._note(info)
            return
        last = self.messages[-1]
        if self.config.budget_note and not info.get("final"):
            observation += self._note(info)
        calls = last.get("tool_calls") if last.get("role") == "assistant" else None
        if calls:
            # Every tool call must be answered; a rejected batch gets the same message.
            for call in calls:
                self.messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": observation}
                )
        else:
            self.messages.append({"role": "user", "content": observation})

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        """Show ``observation`` to the model and return its action."""
        self.observe(observation, info)
        max_tokens = self.client.config.sampling.max_tokens
        if self.config.context_tokens:
            left = self.context_left()
            if left < self.config.min_completion_tokens:
                raise ContextExhausted(f"{left} context tokens left")
            max_tokens = min(max_tokens or left, left)
        comp = self.client.complete(
            self.messages, self.tools, max_tokens=max_tokens, seed=self._seed()
        )
        self.last_completion = comp
        self.messages.append(comp.message())
        prompt = comp.usage.get("prompt_tokens")
        completion = comp.usage.get("completion_tokens")
        if prompt is not None and completion is not None:
            self._context_used = prompt + completion
            self._counted = len(self.messages)
        if self.mode == "text":
            return comp.content or ""
        return {"role": "assistant", "content": comp.content, "tool_calls": comp.tool_calls}


class ChatPolicyFactory:
    """Makes one :class:`ChatPolicy` per episode around one shared client.

    The client (and so its concurrency cap) is created on first use, in the process
    that runs the episodes: a factory can be shipped to a Ray actor before that. Threads
    that reach first use at once share one client (a lock guards its creation).
    """

    def __init__(self, policy: PolicyConfig, agent: AgentConfig | None = None) -> None:
        self.policy_config = policy
        self.agent = agent or AgentConfig()
        self._client: OpenAIPolicyClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> OpenAIPolicyClient:
        """The shared client, built on first use."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = OpenAIPolicyClient(self.policy_config)
                client = self._client
        return client

    def __call__(self, task: Any, sample: int = 0) -> ChatPolicy:
        """A fresh policy for one episode of ``task`` (sample ``sample`` of its group)."""
        return ChatPolicy(self.client, self.agent, sample=sample)

    def close(self) -> None:
        """Close the shared client; the next use builds a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"policy_config": self.policy_config, "agent": self.agent}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["policy_config"], state["agent"])  # type: ignore[misc]
