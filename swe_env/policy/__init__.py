"""Policies: what the agent loop drives, and the OpenAI-compatible client behind a model.

Modules: ``base`` (the :class:`Policy` protocol and its optional, typed capabilities),
``config`` (PolicyConfig, SamplingParams), ``completion`` (one assistant turn and its
parser), ``client`` (OpenAIPolicyClient: retries, timeouts, a concurrency cap),
``chat`` (ChatPolicy, ChatPolicyFactory, AgentConfig), ``replay`` (ReplayPolicy, the
gold patch as tool calls) and ``errors``. The client knows no environment.

``ReplayPolicy`` is imported on first use (it needs the task models and a diff parser).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from swe_env.policy.base import (
    KeepsConversation,
    Mode,
    Policy,
    PolicyFactory,
    ReportsTokens,
    check_policy,
    conversation_of,
    mode_of,
    tokens_of,
)
from swe_env.policy.chat import AgentConfig, ChatPolicy, ChatPolicyFactory
from swe_env.policy.client import RETRY_STATUS, OpenAIPolicyClient
from swe_env.policy.completion import Completion, parse_completion
from swe_env.policy.config import API_KEY_ENV, PolicyConfig, SamplingParams
from swe_env.policy.errors import (
    ContextExhausted,
    ContextLengthExceeded,
    PolicyError,
    PolicyRequestError,
    PolicyUnavailable,
)
from swe_env.retry import parse_retry_after

if TYPE_CHECKING:
    from swe_env.policy.replay import ReplayPolicy


def __getattr__(name: str) -> Any:
    if name == "ReplayPolicy":
        from swe_env.policy.replay import ReplayPolicy

        return ReplayPolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "API_KEY_ENV",
    "RETRY_STATUS",
    "AgentConfig",
    "ChatPolicy",
    "ChatPolicyFactory",
    "Completion",
    "ContextExhausted",
    "ContextLengthExceeded",
    "KeepsConversation",
    "Mode",
    "OpenAIPolicyClient",
    "Policy",
    "PolicyConfig",
    "PolicyError",
    "PolicyFactory",
    "PolicyRequestError",
    "PolicyUnavailable",
    "ReplayPolicy",
    "ReportsTokens",
    "SamplingParams",
    "check_policy",
    "conversation_of",
    "mode_of",
    "parse_completion",
    "parse_retry_after",
    "tokens_of",
]
