"""The loop side of the agent: observations cut to the context budget.

The chat policy and its config moved to :mod:`swe_env.policy.chat`; they are re-exported
here because ``swe_env.cli_rollout`` still imports them from this module.
"""

from __future__ import annotations

from swe_env.policy.chat import CHARS_PER_TOKEN, AgentConfig, ChatPolicy, ChatPolicyFactory
from swe_env.policy.errors import ContextExhausted

__all__ = ["AgentConfig", "ChatPolicy", "ChatPolicyFactory", "ContextExhausted", "cut_observation"]


def cut_observation(text: str, max_tokens: int | None) -> str:
    """Keep the head and tail of ``text`` within about ``max_tokens``, marking the cut."""
    if max_tokens is None:
        return text
    limit = max_tokens * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    cut = len(text) - head - tail
    marker = (
        f"\n\n[... {cut} characters cut from this output (about {cut // CHARS_PER_TOKEN} "
        "tokens); narrow the command, e.g. with grep, head or sed -n ...]\n\n"
    )
    return text[:head] + marker + text[len(text) - tail :]
