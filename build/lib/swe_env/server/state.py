"""What the service keeps per episode, and small helpers of the episode manager."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from swe_env.errors import SweEnvError
from swe_env.server.models import EpisodeState, EpisodeStatus, ServiceError, StepResult

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Episode:
    """One open episode: its environment and what the service knows about it."""

    id: str
    env: Any
    task_id: str
    created: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    status: EpisodeStatus = "running"
    steps: int = 0
    failure: str | None = None
    running: Future | None = None
    """The step running in a worker thread, if any (it may outlive a timed-out request)."""
    replies: OrderedDict[str, tuple[str, StepResult | ServiceError]] = field(
        default_factory=OrderedDict
    )
    """Idempotency-Key -> (fingerprint of the request, its answer)."""
    closed: bool = False
    freed: bool = False

    def state(self) -> EpisodeState:
        return EpisodeState(
            episode_id=self.id,
            task_id=self.task_id,
            status=self.status,
            steps=self.steps,
            created=self.created,
            idle_seconds=max(0.0, time.monotonic() - self.last_used),
            failure=self.failure,
        )


def fingerprint(body: Any) -> str:
    """A digest of a request body (JSON data), for telling a replay from a reused key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def key_reused(key: str) -> ServiceError:
    """The 422 answer to an Idempotency-Key resent with a different body."""
    return ServiceError(
        422,
        "idempotency_key_reused",
        f"Idempotency-Key {key!r} was already used with a different request body; "
        "use a new key for a new request",
    )


def fault(exc: SweEnvError, retryable: bool) -> ServiceError:
    """The 503 answer to an infrastructure fault (kind: the SweEnvError subclass)."""
    return ServiceError(
        503, type(exc).__name__, str(exc) or type(exc).__name__, retryable=retryable
    )


def shutting_down() -> ServiceError:
    """The 503 answer to a request that meets the service shutting down."""
    return ServiceError(503, "shutting_down", "the service is shutting down", retryable=True)


def too_many(kind: str, message: str, retry_after: int) -> ServiceError:
    """The 429 answer when a limit is reached: retry after ``retry_after`` seconds."""
    return ServiceError(
        429, kind, message, retryable=True, headers={"Retry-After": str(retry_after)}
    )


def close_quietly(env: Any) -> None:
    """Close an environment; a failure is logged (the janitor removes what is left)."""
    try:
        env.close()
    except Exception as exc:
        log.warning("closing an environment failed: %s", exc)
