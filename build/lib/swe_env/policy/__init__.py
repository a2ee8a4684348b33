"""Policies: what the agent loop drives, and the OpenAI-compatible client behind a model.

Modules: ``base`` (the :class:`Policy` protocol and its optional, typed capabilities),
``config`` (PolicyConfig, SamplingParams), ``completion`` (one assistant turn and its
parser), ``client`` (OpenAIPolicyClient: retries, timeouts, a concurrency cap),
``chat`` (ChatPolicy, ChatPolicyFactory, AgentConfig), ``replay`` (ReplayPolicy, the
gold patch as tool calls) and ``errors``. The client knows no environment.

Every name is imported on first use (see ``_HOMES``).
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    **dict.fromkeys(
        ["KeepsConversation", "Mode", "Policy", "PolicyFactory", "ReportsTokens",
         "check_policy", "conversation_of", "mode_of", "tokens_of"],
        "swe_env.policy.base",
    ),
    **dict.fromkeys(["ChatPolicy", "ChatPolicyFactory"], "swe_env.policy.chat"),
    **dict.fromkeys(["RETRY_STATUS", "OpenAIPolicyClient"], "swe_env.policy.client"),
    **dict.fromkeys(["Completion", "parse_completion"], "swe_env.policy.completion"),
    **dict.fromkeys(
        ["API_KEY_ENV", "AgentConfig", "PolicyConfig", "SamplingParams"], "swe_env.policy.config"
    ),
    **dict.fromkeys(
        ["ContextExhausted", "ContextLengthExceeded", "PolicyError", "PolicyRequestError",
         "PolicyUnavailable"],
        "swe_env.policy.errors",
    ),
    "ReplayPolicy": "swe_env.policy.replay",
    "parse_retry_after": "swe_env.retry",
}  # fmt: skip
"""Where each public name lives. Names load on first use, so importing the light config
models (for a CLI's defaults, say) does not pull in the HTTP client."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


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
