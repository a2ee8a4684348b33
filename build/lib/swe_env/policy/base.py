"""What the agent loop asks of a policy: :class:`Policy`, and the optional capabilities.

A policy only has to map ``(observation, info)`` to an action. Two capabilities are
optional and typed; the loop checks for them with ``isinstance`` (the protocols are
runtime-checkable) and uses them through their declared types:

* :class:`KeepsConversation`: the policy keeps the chat history as the model saw it
  (system prompt, tool schemas, sampling). The trajectory then takes its messages from
  the policy rather than rebuilding them from actions and observations.
* :class:`ReportsTokens`: the policy keeps its last completion (token ids, logprobs,
  usage), which the loop copies into each step of the trajectory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

from swe_env.policy.completion import Completion

Mode = Literal["tools", "text"]
"""tools: native function calls; text: CWM ``<tool: NAME>`` blocks in the content."""


@runtime_checkable
class Policy(Protocol):
    """Anything that maps (observation, info) to an action."""

    name: str
    """Shown in trajectories (``openai``, ``replay``, …)."""
    model: str
    """The model behind the policy ("" when there is none)."""

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        """The next action: a tool-call dict, an assistant message, or CWM text."""
        ...


@runtime_checkable
class KeepsConversation(Protocol):
    """Capability: the policy holds the conversation the model saw."""

    mode: Mode
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None

    @property
    def sampling(self) -> dict[str, Any]:
        """The sampling parameters in force, for the trajectory record."""
        ...

    def observe(self, observation: str, info: dict[str, Any] | None = None) -> None:
        """Append an observation to the conversation without asking the model."""
        ...


@runtime_checkable
class ReportsTokens(Protocol):
    """Capability: the policy keeps its last completion's tokens and logprobs."""

    mode: Mode
    last_completion: Completion | None


PolicyFactory = Callable[..., Policy]
"""Makes one policy per episode: ``factory(task)`` or ``factory(task, sample)``."""


def conversation_of(policy: Policy) -> KeepsConversation | None:
    """``policy`` as a :class:`KeepsConversation`, or None if it keeps none."""
    return policy if isinstance(policy, KeepsConversation) else None


def tokens_of(policy: Policy) -> ReportsTokens | None:
    """``policy`` as a :class:`ReportsTokens`, or None if it reports none."""
    return policy if isinstance(policy, ReportsTokens) else None


def mode_of(policy: Policy) -> Mode | None:
    """The action format of a model policy, or None for a policy without a model."""
    capable = conversation_of(policy) or tokens_of(policy)
    return capable.mode if capable is not None else None


def check_policy(policy: object) -> Policy:
    """``policy`` if it satisfies :class:`Policy`.

    Raises:
        TypeError: it lacks ``name``, ``model`` or a callable ``act``.
    """
    if not isinstance(policy, Policy) or not callable(policy.act):
        missing = [a for a in ("name", "model", "act") if not hasattr(policy, a)]
        raise TypeError(
            f"{type(policy).__name__} is not a Policy (needs name, model and act(); "
            f"missing: {', '.join(missing) or 'a callable act'})"
        )
    return policy
