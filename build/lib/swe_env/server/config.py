"""ServerConfig: the service's own settings (limits, auth, sandbox policy)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from swe_env.sandbox.config import DockerSandboxConfig


class ServerConfig(BaseModel):
    """How the service runs. ``swe-env serve`` builds this from its options."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    token: SecretStr | None = None
    """Bearer token every request must carry (``/healthz`` and the docs excepted).
    ``None`` turns auth off; ``swe-env serve`` never does that."""
    max_episodes: int = Field(16, ge=1)
    """Episodes open at once; creating one more answers 429 with Retry-After."""
    max_grades: int = Field(2, ge=1)
    """``POST /v1/grade`` calls running at once; one more answers 429."""
    warm_pool: int = Field(0, ge=0)
    """Started containers kept ready per instance image once an episode has asked for
    it, so the next episode of that task takes one over (0, the default: start each on
    demand). A pooled container was started before its episode existed, so its
    ``swe-env.service-episode`` label is ``pool``; the service records which episode took
    it and removes it with the episode (an operator filtering ``docker ps`` by episode
    label does not see it)."""
    retry_after: int = Field(2, ge=1)
    """Seconds suggested in the Retry-After header of a 429."""
    idle_ttl: float = Field(600.0, gt=0)
    """An episode that has not been stepped (or created) for this many seconds is closed
    and its containers removed; later requests for it answer 404."""
    reap_interval: float | None = Field(None, gt=0)
    """How often the idle reaper looks (default: a quarter of ``idle_ttl``, at most 30 s)."""
    step_timeout: float = Field(900.0, gt=0)
    """Hard deadline of one step, grading on submit included. Past it the step answers
    504 and the episode fails (its containers are removed). Keep it above the episodes'
    command and grading timeouts: it is a backstop for hung infrastructure."""
    reset_timeout: float = Field(1800.0, gt=0)
    """Deadline of creating an episode (image builds included)."""
    grade_slack: float = Field(120.0, ge=0)
    """Added to a ``/v1/grade`` request's test timeout to get its hard deadline."""
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    """Largest request body; a bigger one answers 413."""
    request_timeout: float = Field(60.0, gt=0)
    """Seconds a client has to send a whole request (headers and body, from its first
    byte or from connecting) or to take an answer. A slower one gets 408 (or is cut off)
    and its connection is closed. Applies when run by ``swe-env serve`` or ``LiveServer``."""
    idempotency_entries: int = Field(64, ge=1)
    """Step responses remembered per episode for ``Idempotency-Key`` replays."""
    service_name: str = Field("swe-env", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    """Label value on every container the service starts. On start-up the service removes
    containers with this name whose owner process is proven dead (an earlier run on this
    host); those of a live service, or of another host, are left alone."""
    workers: int | None = Field(None, ge=1)
    """Threads for blocking Docker work (default: max_episodes + max_grades + 4)."""
    sandbox: DockerSandboxConfig = Field(default_factory=DockerSandboxConfig)
    """Sandbox settings of every episode; clients may change only command_timeout,
    max_output_bytes and env."""

    @property
    def reaper_period(self) -> float:
        """Seconds between two passes of the idle reaper."""
        return self.reap_interval or min(30.0, self.idle_ttl / 4)

    @property
    def thread_count(self) -> int:
        """Size of the thread pool for blocking work."""
        return self.workers or self.max_episodes + self.max_grades + 4
