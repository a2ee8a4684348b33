"""The policy's errors: infrastructure faults (runners retry them) and running out of context."""

from __future__ import annotations

from swe_env.errors import SweEnvError


class PolicyError(SweEnvError):
    """The policy server failed in a way the agent did not cause."""


class PolicyUnavailable(PolicyError, ConnectionError):
    """No answer after every retry: connection refused, timeouts, 429 or 5xx."""


class PolicyRequestError(PolicyError, ValueError):
    """The server rejected the request (a 4xx other than 429): a configuration fault."""


class ContextLengthExceeded(Exception):
    """The conversation no longer fits the model's context window.

    Not an infrastructure fault: the episode ran out of context, and the agent loop
    ends it as truncated (``truncation="context"``).
    """


class ContextExhausted(Exception):
    """The next turn would not fit the agent's context budget; the loop truncates the episode."""
