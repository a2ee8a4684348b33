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

import re
import threading
import time
from typing import Any

import httpx

from swe_env.policy.completion import Completion, parse_completion
from swe_env.policy.config import PolicyConfig
from swe_env.policy.errors import ContextLengthExceeded, PolicyRequestError, PolicyUnavailable
from swe_env.retry import RetryLater, RetryPolicy, parse_retry_after

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
"""Statuses retried (with every 5xx): the server may answer later."""
RETRIED_TEXT_CHARS = 300
"""Text kept from a retried answer, for the PolicyUnavailable message."""
REJECTED_TEXT_CHARS = 1000
"""Text kept from a rejected request's answer (context-length errors are matched in it)."""
_CONTEXT_ERROR = re.compile(
    r"context (length|window)|maximum context|max_new_tokens. must be <=|prompt is too long"
    r"|too many tokens|input is too long",
    re.IGNORECASE,
)


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
        self.retry = RetryPolicy(
            retries=config.retries,
            initial=config.backoff_initial,
            max_wait=config.backoff_max,
            jitter=1.0,
        )
        """Retries of one request: full jitter, a ``Retry-After`` hint honoured."""

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
        try:
            for attempt in self.retry.retrying(RetryLater):
                with attempt:
                    attempts += 1
                    data = self._post(body)
        except RetryLater as exc:
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

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._slots:
            with self._lock:
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                response = self._http.post("/chat/completions", json=body)
            except httpx.TimeoutException as exc:
                raise RetryLater(f"timed out ({type(exc).__name__})") from exc
            except httpx.TransportError as exc:
                raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
            finally:
                with self._lock:
                    self.in_flight -= 1
        status = response.status_code
        if status in RETRY_STATUS or status >= 500:
            hint = parse_retry_after(response.headers.get("retry-after"))
            text = response.text[:RETRIED_TEXT_CHARS]
            raise RetryLater(f"HTTP {status}: {text}", retry_after=hint)
        if status >= 400:
            text = response.text[:REJECTED_TEXT_CHARS]
            if _CONTEXT_ERROR.search(text):
                raise ContextLengthExceeded(text)
            raise PolicyRequestError(f"HTTP {status} from {self.config.base_url}: {text}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RetryLater(f"HTTP {status} with a body that is not JSON") from exc
        if not isinstance(data, dict):
            raise RetryLater(f"HTTP {status} with a JSON body that is not an object")
        return data

    # -- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> OpenAIPolicyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
