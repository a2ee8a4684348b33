"""A client for any OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, llama.cpp).

The client knows no environment: it takes chat messages (and tool schemas) and returns
a :class:`Completion` with the text, the tool calls and, when the server gives them,
the token ids and logprobs of the completion and the token ids of the prompt.

What each server returns (ask for ``logprobs``; the client does by default):

* **vLLM**: ``choices[0].logprobs.content[*].{token, logprob, top_logprobs}``. With
  ``vllm_token_ids=True`` the request also sets ``return_tokens_as_token_ids`` (tokens
  come back as ``"token_id:123"``, so ids are exact even for tokens that are not valid
  UTF-8) and ``return_token_ids`` (vLLM >= 0.10.2: ``prompt_token_ids`` on the response
  and ``token_ids`` on the choice). Prompt ids cost one list per turn, nothing more.
* **llama.cpp**: llama-cpp-python's server gives the same shape with token *strings*
  (ids stay ``None``) and only when ``top_logprobs`` is sent (the client always sends
  it); the C++ ``llama-server`` adds each token's ``id``, which is kept.
* **SGLang**, **TGI**: the same ``logprobs`` shape with token strings; ids stay ``None``.

Robustness: a timeout on every request; 429, 5xx, connection errors and timeouts are
retried with jittered exponential backoff (a ``Retry-After`` header is honoured); a
semaphore caps the requests in flight per client. Exhausted retries raise
:class:`PolicyUnavailable`, an infrastructure fault that runners retry and never score.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import threading
import time
import uuid
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from swe_env.errors import SweEnvError

API_KEY_ENV = ("SWE_ENV_API_KEY", "OPENAI_API_KEY")
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_CONTEXT_ERROR = re.compile(
    r"context (length|window)|maximum context|max_new_tokens. must be <=|prompt is too long"
    r"|too many tokens|input is too long",
    re.IGNORECASE,
)
_TOKEN_ID = re.compile(r"^token_id:(-?\d+)$")


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


class Completion(BaseModel):
    """One assistant turn as the server returned it."""

    content: str | None = None
    reasoning: str | None = None
    """Reasoning text the server split off (``reasoning_content``), if any."""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """OpenAI tool calls: ``{"id", "type": "function", "function": {"name", "arguments"}}``."""
    finish_reason: str | None = None
    tokens: list[str] | None = None
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    top_logprobs: list[dict[str, float]] | None = None
    prompt_token_ids: list[int] | None = None
    usage: dict[str, int] = Field(default_factory=dict)
    model: str = ""
    latency: float = 0.0
    """Seconds from the first attempt to the answer, backoff included."""
    attempts: int = 1

    def message(self) -> dict[str, Any]:
        """The assistant message to append to the chat history."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        if self.reasoning:
            msg["reasoning_content"] = self.reasoning
        return msg


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _normalize_tool_calls(raw: Any) -> list[dict[str, Any]]:
    calls = []
    for call in raw or []:
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(
            {
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": function.get("name"), "arguments": arguments},
            }
        )
    return calls


def parse_completion(data: dict[str, Any]) -> Completion:
    """Build a :class:`Completion` from a chat-completions response body.

    Raises:
        ValueError: the body has no ``choices[0].message``.
    """
    try:
        choice = data["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise ValueError("the response has no choices[0].message") from None
    comp = Completion(
        content=message.get("content"),
        reasoning=message.get("reasoning_content") or message.get("reasoning"),
        tool_calls=_normalize_tool_calls(message.get("tool_calls")),
        finish_reason=choice.get("finish_reason"),
        model=str(data.get("model") or ""),
        usage={k: v for k, v in (data.get("usage") or {}).items() if isinstance(v, int)},
    )
    entries = (choice.get("logprobs") or {}).get("content") or []
    if entries:
        comp.tokens = [str(e.get("token", "")) for e in entries]
        comp.logprobs = [float(e.get("logprob") or 0.0) for e in entries]
        ids = [_TOKEN_ID.match(t) for t in comp.tokens]
        if all(ids):
            comp.token_ids = [int(m.group(1)) for m in ids if m]
        elif all(isinstance(e.get("id"), int) for e in entries):  # llama.cpp's llama-server
            comp.token_ids = [int(e["id"]) for e in entries]
        tops = [e.get("top_logprobs") for e in entries]
        if any(tops):
            comp.top_logprobs = [
                {str(t.get("token")): float(t.get("logprob") or 0.0) for t in top or []}
                for top in tops
            ]
    if isinstance(choice.get("token_ids"), list):
        comp.token_ids = [int(i) for i in choice["token_ids"]]
    prompt_ids = data.get("prompt_token_ids") or choice.get("prompt_token_ids")
    if isinstance(prompt_ids, list):
        comp.prompt_token_ids = [int(i) for i in prompt_ids]
    return comp


class OpenAIPolicyClient:
    """Thread-safe chat-completions client with retries, timeouts and a concurrency cap.

    Use one client per process and share it between episodes: its semaphore then caps
    the requests that process sends. ``transport`` is for tests.
    """

    def __init__(
        self, config: PolicyConfig, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.config = config
        headers = {"Content-Type": "application/json"}
        key = config.resolved_api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            limits=httpx.Limits(
                max_connections=config.max_concurrency,
                max_keepalive_connections=config.max_concurrency,
            ),
            transport=transport,
        )
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self._lock = threading.Lock()
        self.in_flight = 0
        """Requests being answered right now (for tests and progress displays)."""
        self.peak_in_flight = 0

    # -- request ----------------------------------------------------------------------
    def request_body(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """The JSON body sent for ``messages``."""
        cfg, sampling = self.config, self.config.sampling
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": messages,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
        }
        limit = max_tokens if max_tokens is not None else sampling.max_tokens
        if limit is not None:
            body["max_tokens"] = limit
        if sampling.stop:
            body["stop"] = sampling.stop
        seed = seed if seed is not None else sampling.seed
        if seed is not None:
            body["seed"] = seed
        if tools and cfg.mode == "tools":
            body["tools"] = tools
            if cfg.tool_choice:
                body["tool_choice"] = cfg.tool_choice
        if cfg.logprobs:
            # Sent even when 0: llama.cpp's server returns no logprobs without it.
            body["logprobs"] = True
            body["top_logprobs"] = cfg.top_logprobs
        if cfg.vllm_token_ids:
            body["return_token_ids"] = True
            if cfg.logprobs:
                body["return_tokens_as_token_ids"] = True
        body.update(cfg.extra_body)
        return body

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        """One chat completion, retried on transient faults.

        Raises:
            PolicyUnavailable: no answer after every retry.
            PolicyRequestError: the server rejected the request (4xx).
            ContextLengthExceeded: the messages do not fit the model's context.
        """
        body = self.request_body(messages, tools, max_tokens=max_tokens, seed=seed)
        started = time.monotonic()
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.config.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    data = self._post(body)
        except _Transient as exc:
            raise PolicyUnavailable(
                f"policy server {self.config.base_url} failed {attempts} time(s); last: {exc}"
            ) from exc
        try:
            comp = parse_completion(data)
        except ValueError as exc:
            raise PolicyRequestError(f"{self.config.base_url}: {exc}") from exc
        comp.latency = time.monotonic() - started
        comp.attempts = attempts
        if not self.config.top_logprobs:
            comp.top_logprobs = None  # some servers list the sampled token anyway
        return comp

    def _wait(self, state: Any) -> float:
        """Full-jitter exponential backoff, or the server's Retry-After if longer."""
        cfg = self.config
        ceiling = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (state.attempt_number - 1))
        delay = random.uniform(0, ceiling)
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            delay = max(delay, min(hint, max(cfg.backoff_max, 1.0)))
        return delay

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._slots:
            with self._lock:
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                response = self._http.post("/chat/completions", json=body)
            except httpx.TimeoutException as exc:
                raise _Transient(f"timed out ({type(exc).__name__})") from exc
            except httpx.TransportError as exc:
                raise _Transient(f"{type(exc).__name__}: {exc}") from exc
            finally:
                with self._lock:
                    self.in_flight -= 1
        status = response.status_code
        if status in RETRY_STATUS or status >= 500:
            hint = parse_retry_after(response.headers.get("retry-after"))
            raise _Transient(f"HTTP {status}: {response.text[:300]}", retry_after=hint)
        if status >= 400:
            text = response.text[:1000]
            if _CONTEXT_ERROR.search(text):
                raise ContextLengthExceeded(text)
            raise PolicyRequestError(f"HTTP {status} from {self.config.base_url}: {text}")
        try:
            data = response.json()
        except ValueError as exc:
            raise _Transient(f"HTTP {status} with a body that is not JSON") from exc
        if not isinstance(data, dict):
            raise _Transient(f"HTTP {status} with a JSON body that is not an object")
        return data

    # -- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> OpenAIPolicyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
