"""RemoteSWEEnv: SWEEnv's Gymnasium interface over the service's HTTP API.

::

    from swe_env.client import RemoteSWEEnv

    with RemoteSWEEnv("http://127.0.0.1:8000", token="…", config={"max_turns": 20}) as env:
        obs, info = env.reset(options={"task_id": "demo/textkit-slug-trailing-separator"})
        obs, reward, terminated, truncated, info = env.step(
            {"name": "bash", "arguments": {"command": "ls"}}
        )

Requests are retried (:data:`REMOTE_RETRY`, the one :class:`~swe_env.retry.RetryPolicy`)
on connection errors, 429 (honouring Retry-After) and 5xx answers the service marks
retryable. That is safe for steps: each carries an
``Idempotency-Key`` (a uuid per step, reused by its retries), so the service answers a
resent step from memory and its action never runs twice.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

import gymnasium
import httpx

from swe_env.client.transport import KeepAliveTransport
from swe_env.env_config import SWEEnvConfig
from swe_env.errors import SweEnvError
from swe_env.retry import RetryLater, RetryPolicy, parse_retry_after
from swe_env.spaces import UnicodeText

log = logging.getLogger(__name__)
MAX_ACTION_CHARS = 1_000_000
"""Longest action in the action space: JSON-escaped, it stays under the service's default
8 MB body cap (a larger body answers 413)."""
MAX_OBSERVATION_CHARS = 10_000_000
"""Longest observation in the observation space."""
REQUEST_TIMEOUT = 1800.0
"""Seconds to wait for one answer (a step may run a long command)."""
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a connection (at most the request timeout)."""
GRADE_TIMEOUT = 600.0
"""Default timeout of the hidden test run of :meth:`ServiceClient.grade`."""
ERROR_TEXT_CHARS = 2000
"""Longest error message kept from an answer."""
REMOTE_RETRY = RetryPolicy(retries=6, initial=0.2, max_wait=30.0, jitter=0.5)
"""Retries of one request: 0.2 s doubling, half jitter, at most 30 s apart."""


class RemoteError(Exception):
    """An error answer from the service (or none at all)."""

    def __init__(self, status: int | None, kind: str, message: str, retryable: bool = False):
        super().__init__(f"{kind}: {message}" + (f" (HTTP {status})" if status else ""))
        self.status = status
        self.kind = kind
        self.message = message
        self.retryable = retryable


class RemoteInfraError(RemoteError, SweEnvError):
    """An infrastructure fault: unreachable service, 5xx, or still 429 after the retries.
    Runners retry the episode, as for a local :class:`SweEnvError`."""


class RemoteRequestError(RemoteError, ValueError):
    """The request was refused: unknown task or episode (404), too large (413), invalid (422)."""


class RemoteStateError(RemoteError, RuntimeError):
    """The episode is over or failed (409); call reset()."""


class RemoteAuthError(RemoteError, PermissionError):
    """The token is missing or wrong (401)."""


class _Retryable(RetryLater):
    def __init__(self, error: RemoteError, retry_after: float | None) -> None:
        super().__init__(str(error), retry_after)
        self.error = error


def _error_of(response: httpx.Response) -> RemoteError:
    status = response.status_code
    kind, message, retryable = (
        f"http_{status}",
        response.text[:ERROR_TEXT_CHARS],
        status == 429 or status >= 502,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        kind, message = str(err.get("kind", kind)), str(err.get("message", message))
        retryable = bool(err.get("retryable", retryable))
    elif isinstance(body, dict) and "detail" in body:
        kind, message = "validation", str(body["detail"])[:ERROR_TEXT_CHARS]
    if status == 401:
        return RemoteAuthError(status, kind, message)
    if status == 409:
        return RemoteStateError(status, kind, message)
    if status == 429 or status >= 500:
        return RemoteInfraError(status, kind, message, retryable)
    return RemoteRequestError(status, kind, message)


class ServiceClient:
    """HTTP access to the service: auth, retries, error mapping. Thread-safe.

    ``token`` defaults to the ``SWE_ENV_TOKEN`` environment variable. Requests go
    through an ``httpx.Client`` on :class:`~swe_env.client.transport.KeepAliveTransport`
    (lean keep-alive sockets) unless ``transport`` says otherwise. Retries follow
    :data:`REMOTE_RETRY`, with ``retries`` and ``max_wait`` in place of its own.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = REQUEST_TIMEOUT,
        *,
        retries: int = REMOTE_RETRY.retries,
        max_wait: float = REMOTE_RETRY.max_wait,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get("SWE_ENV_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            transport=transport or KeepAliveTransport(),
        )
        self.retry = RetryPolicy(
            **{**REMOTE_RETRY.model_dump(), "retries": retries, "max_wait": max_wait}
        )

    def _once(self, method: str, path: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.is_success:
            return response
        error = _error_of(response)
        if error.retryable:
            raise _Retryable(error, parse_retry_after(response.headers.get("Retry-After")))
        raise error

    def url(self, path: str) -> httpx.URL:
        """The absolute URL of ``path`` (parsed once: pass it to :meth:`request` on hot paths)."""
        return httpx.URL(str(self.http.base_url).rstrip("/") + path)

    def request(
        self,
        method: str,
        path: str | httpx.URL,
        *,
        json: Any = None,
        key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request, retrying what may succeed later (same ``Idempotency-Key``).

        Raises:
            RemoteError: a subclass by status (see the module docstring).
        """
        headers = {"Idempotency-Key": key} if key else {}
        retrying = self.retry.retrying(_Retryable, httpx.TransportError)
        try:
            return retrying(self._once, method, path, json=json, headers=headers, **kwargs)
        except _Retryable as exc:
            raise exc.error from None
        except httpx.TransportError as exc:
            raise RemoteInfraError(None, "unreachable", f"{type(exc).__name__}: {exc}") from exc

    def tasks(self, suite: str | None = None) -> list[dict[str, Any]]:
        """The tasks the service offers (of ``suite``, or of every suite)."""
        params = {"suite": suite} if suite else {}
        return self.request("GET", "/v1/tasks", params=params).json()

    def grade(self, task_id: str, patch: str, timeout: float = GRADE_TIMEOUT) -> dict[str, Any]:
        """Grade ``patch`` for ``task_id`` (``suite/id``); returns the Grade as a dict."""
        body = {"task_id": task_id, "patch": patch, "timeout": timeout}
        return self.request("POST", "/v1/grade", json=body).json()

    def health(self) -> dict[str, Any]:
        """The service's health report."""
        return self.request("GET", "/healthz").json()

    def close(self) -> None:
        """Close the connections."""
        self.http.close()


class RemoteSWEEnv(gymnasium.Env[str, Any]):
    """A Gymnasium env whose episodes run in the swe-env service.

    Same interface as :class:`swe_env.env.SWEEnv`: string observations, tool-call
    actions (dict or text), ``reset(seed=, options={"task_id": ...})``. ``config`` is
    an :class:`SWEEnvConfig` or a dict of its fields; only fields you set are sent, the
    service fills in the rest (and decides the sandbox limits).

    Raises:
        RemoteInfraError: (a SweEnvError) the service is unreachable or reported an
            infrastructure fault; the episode is lost, reset() starts a new one.
        RemoteStateError: (a RuntimeError) step() after the episode ended.
        RemoteRequestError: (a ValueError) unknown task, invalid config.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        config: SWEEnvConfig | dict[str, Any] | None = None,
        timeout: float = REQUEST_TIMEOUT,
        *,
        retries: int = REMOTE_RETRY.retries,
        render_mode: str | None = None,
        client: ServiceClient | None = None,
    ) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', not {render_mode!r}")
        self.render_mode = render_mode
        if isinstance(config, dict):
            config = SWEEnvConfig.model_validate(config)
        self.config = config
        self._body_config = config.model_dump(mode="json", exclude_unset=True) if config else None
        self._own_client = client is None
        self.client = client or ServiceClient(base_url, token, timeout, retries=retries)
        self.observation_space = UnicodeText(max_length=MAX_OBSERVATION_CHARS)
        self.action_space = UnicodeText(max_length=MAX_ACTION_CHARS)
        self.episode_id: str | None = None
        self.task_id: str | None = None
        self._step_url: httpx.URL | None = None
        self._steps = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        if not options.get("snapshot"):  # else the old episode ends after: it holds the snapshot
            self._end_episode()
        if seed is None:
            seed = int(self.np_random.integers(2**31))
        body = {"seed": seed, "task_id": options.get("task_id"), "config": self._body_config}
        if options.get("snapshot"):
            body["snapshot"] = options["snapshot"]
        data = self.client.request("POST", "/v1/episodes", json=body, key=uuid.uuid4().hex).json()
        self._end_episode()
        self.episode_id = data["episode_id"]
        self._step_url = self.client.url(f"/v1/episodes/{self.episode_id}/step")
        self.task_id = data["info"].get("task_id")
        self._steps = 0
        return data["observation"], data["info"]

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.episode_id is None or self._step_url is None:
            raise RuntimeError("call reset() before step()")
        data = self.client.request(
            "POST", self._step_url, json={"action": action}, key=uuid.uuid4().hex
        ).json()
        self._steps += 1
        return (
            data["observation"],
            float(data["reward"]),
            bool(data["terminated"]),
            bool(data["truncated"]),
            data["info"],
        )

    def snapshot(self) -> str:
        """Snapshot the episode on the service (files, working directory, exported
        environment; not running processes); ``reset(options={"snapshot": id})`` starts
        from it. It is removed when this episode ends."""
        if self.episode_id is None:
            raise RuntimeError("no episode; call reset()")
        path = f"/v1/episodes/{self.episode_id}/snapshot"
        return str(self.client.request("POST", path).json()["snapshot_id"])

    def state(self) -> dict[str, Any]:
        """The service's view of the episode (status, steps, idle time)."""
        if self.episode_id is None:
            raise RuntimeError("no episode; call reset()")
        return self.client.request("GET", f"/v1/episodes/{self.episode_id}").json()

    def render(self) -> str | None:
        if self.task_id is None:
            return None
        return f"[{self.task_id}] step {self._steps} (episode {self.episode_id})"

    def _end_episode(self) -> None:
        episode, self.episode_id = self.episode_id, None
        if episode is None:
            return
        try:
            self.client.request("DELETE", f"/v1/episodes/{episode}")
        except RemoteRequestError:
            pass  # already gone (deleted, or reaped after its idle TTL)
        except RemoteError as exc:
            log.warning("could not delete episode %s: %s", episode, exc)

    def close(self) -> None:
        """Delete the episode (frees its container). Safe to call more than once."""
        self._end_episode()
        if self._own_client:
            self.client.close()
        super().close()
