"""Where the policy is served and how to sample from it. Imports no client."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

API_KEY_ENV = ("SWE_ENV_API_KEY", "OPENAI_API_KEY")

DEFAULT_SYSTEM_PROMPT = (
    "You are an autonomous software engineer working in a repository inside a sandbox. "
    "Investigate the issue, change the code to fix it, check your change, then submit. "
    "Each reply calls exactly one tool; you see its output before your next reply."
)


class SamplingParams(BaseModel):
    """Sampling parameters, passed through to the server as they are."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int | None = Field(2048, ge=1)
    """Completion tokens per turn (lowered further by the agent's context budget)."""
    stop: list[str] | None = None
    seed: int | None = None
    """Base seed; the agent adds the sample index so a GRPO group's samples differ."""


class PolicyConfig(BaseModel):
    """Where the policy is served and how to talk to it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    base_url: str = "http://127.0.0.1:8000/v1"
    """The server's OpenAI API root (ending in /v1)."""
    model: str
    """The model name the server serves."""
    api_key: SecretStr | None = None
    """Bearer token; defaults to $SWE_ENV_API_KEY, then $OPENAI_API_KEY (often unneeded)."""
    mode: Literal["tools", "text"] = "tools"
    """tools: native function calls with the tools' JSON schemas; text: CWM
    ``<tool: NAME>`` blocks parsed from the content."""
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    timeout: float = Field(600.0, gt=0)
    """Seconds to wait for one answer (non-streaming: the whole completion)."""
    connect_timeout: float = Field(10.0, gt=0)
    max_concurrency: int = Field(64, ge=1)
    """Requests in flight at once through one client (a semaphore shared by its users)."""
    retries: int = Field(6, ge=0)
    """Retries of one request after the first attempt."""
    backoff_initial: float = Field(0.5, ge=0)
    """First backoff in seconds; doubles per retry, with full jitter."""
    backoff_max: float = Field(30.0, ge=0)
    logprobs: bool = True
    """Ask for the logprob of each completion token."""
    top_logprobs: int = Field(0, ge=0, le=20)
    """Alternatives per token to keep (0 keeps none; still sent, as llama.cpp needs it)."""
    vllm_token_ids: bool = False
    """vLLM extensions: exact completion ids and the prompt's token ids."""
    tool_choice: str | None = None
    """Sent as is when set (vLLM needs --enable-auto-tool-choice for "auto")."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Extra request fields (top_k, repetition_penalty, chat_template_kwargs, …)."""

    def resolved_api_key(self) -> str | None:
        """The key to send: the configured one, else the first set environment variable."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return next((os.environ[n] for n in API_KEY_ENV if os.environ.get(n)), None)


class AgentConfig(BaseModel):
    """The agent loop's rules. Turn and wall-clock budgets live in ``SWEEnvConfig``."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    context_tokens: int | None = Field(None, ge=256)
    """Context budget of one episode in tokens (prompt + completion of a turn). The
    episode ends as truncated ("context") when the next turn would not fit."""
    min_completion_tokens: int = Field(64, ge=1)
    """Stop when fewer tokens than this are left for a completion."""
    max_observation_tokens: int | None = Field(8192, ge=16)
    """Longer observations are cut in the middle, with a visible marker."""
    budget_note: bool = False
    """Append ``<budget>remaining turns: N; remaining context tokens: M</budget>`` to each
    observation (as CWM does). Leave the environment's own note off."""
    strict_format: bool = False
    """End the episode at the first malformed action, as a format failure (CWM's
    training rule); otherwise the agent sees what was wrong and tries again."""
