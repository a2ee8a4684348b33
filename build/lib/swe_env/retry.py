"""The one retry policy: capped exponential backoff with jitter, on tenacity.

Every retry in swe-env goes through :class:`RetryPolicy`: the policy client's requests,
the remote client's requests and the runners' infrastructure retries. A failure that
carries the server's hint (:class:`RetryLater`, e.g. from a ``Retry-After`` header)
waits at least that long, up to the policy's ``max_wait``.

This module imports nothing of swe-env: light clients may use it.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class RetryLater(Exception):
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


class RetryPolicy(BaseModel):
    """How often to retry and how long to wait between attempts.

    The wait before retry ``n`` (1-based) is ``min(max_wait, initial * 2**(n-1))``,
    scaled by a random factor in ``[1 - jitter, 1]``; a :class:`RetryLater` hint raises
    it to ``min(retry_after, max_wait)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    retries: int = Field(6, ge=0)
    """Retries after the first attempt."""
    initial: float = Field(0.5, ge=0)
    """First backoff in seconds; doubles per retry."""
    max_wait: float = Field(30.0, ge=0)
    """Longest wait between two attempts, server hints included."""
    jitter: float = Field(1.0, ge=0, le=1)
    """Share of each backoff drawn at random: 1 is full jitter, 0 a fixed backoff."""

    def backoff(self, retry: int) -> float:
        """The jittered backoff before retry number ``retry`` (1-based)."""
        ceiling = min(self.max_wait, self.initial * 2.0 ** min(retry - 1, 64))
        return ceiling * random.uniform(1.0 - self.jitter, 1.0)

    def wait(self, state: RetryCallState) -> float:
        """tenacity's ``wait`` callback: the backoff, or the server's hint if longer."""
        delay = self.backoff(state.attempt_number)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryLater) and exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, self.max_wait))
        return delay

    def retrying(
        self,
        *retry_on: type[BaseException],
        sleep: Callable[[float], None] | None = None,
    ) -> Retrying:
        """A tenacity ``Retrying`` that retries ``retry_on`` and re-raises the last error.

        ``sleep`` defaults to :func:`time.sleep`, looked up at each wait.
        """
        return Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=self.wait,
            retry=retry_if_exception_type(retry_on),
            sleep=sleep or _sleep,
            reraise=True,
        )
