"""Request and response models of the HTTP API, and :class:`ServiceError`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException

from swe_env.env import SWEEnvConfig

EpisodeStatus = Literal["running", "done", "failed"]
SUITE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
SNAPSHOT_ID = r"^(sha256:)?[0-9a-f]{12,64}$"
TASK_ID = r"^([A-Za-z0-9][A-Za-z0-9_.\-]*/)?[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


ENV_NAME, ENV_VALUE = r"^[A-Za-z_][A-Za-z0-9_]*$", r"^[^\x00]*$"
EnvVars = Annotated[
    dict[
        Annotated[str, Field(pattern=ENV_NAME, max_length=200)],
        Annotated[str, Field(pattern=ENV_VALUE, max_length=100_000)],
    ],
    # pydantic describes key patterns with patternProperties, which lets other keys
    # through; propertyNames says what the validation does.
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": ENV_NAME, "maxLength": 200},
            "additionalProperties": {"type": "string", "pattern": ENV_VALUE, "maxLength": 100_000},
        }
    ),
]


class ClientSandbox(_Model):
    """The sandbox settings a client may choose. Everything else (network, memory, CPUs,
    processes, engine, …) is the operator's: it comes from ``ServerConfig.sandbox``."""

    command_timeout: float | None = Field(None, gt=0, le=86_400)
    """Default timeout of one shell command, in seconds (unset: the server's)."""
    max_output_bytes: int | None = Field(None, ge=1024, le=64 * 1024 * 1024)
    """Output kept per command (unset: the server's)."""
    env: EnvVars | None = None
    """Extra environment variables for the shell."""


class EpisodeConfig(SWEEnvConfig):
    """SWEEnvConfig as a client sends it: ``sandbox`` holds only what a client chooses."""

    grade_timeout: float = Field(600.0, gt=0, le=86_400)
    """Timeout of the hidden test run, in seconds."""
    sandbox: ClientSandbox = Field(default_factory=ClientSandbox)  # type: ignore[assignment]
    """Sandbox settings (a client may set only these three)."""


class CreateEpisode(_Model):
    """Start an episode: a container for the task, and the first observation."""

    task_id: str | None = Field(None, pattern=TASK_ID, max_length=300)
    """``id`` or ``suite/id``; ``None`` lets ``seed`` pick a task of ``config.suite``."""
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    """Seeds the environment (picks the task when ``task_id`` is not given)."""
    config: EpisodeConfig | None = None
    """Episode settings (the defaults when omitted); ``suite`` must name a suite on the
    server."""
    snapshot: str | None = Field(None, pattern=SNAPSHOT_ID)
    """Start from this snapshot (``POST /v1/episodes/{id}/snapshot``): its task, files,
    working directory, exported environment and turn count; not its processes.
    ``task_id``, when given, must be the snapshot's task."""


class SnapshotCreated(_Model):
    """A snapshot of an episode: start episodes from it with ``snapshot``. It is removed
    when its episode ends (once no episode started from it runs any more)."""

    episode_id: str
    snapshot_id: str
    step: int
    """The episode's turn when it was taken."""


class EpisodeCreated(_Model):
    episode_id: str
    observation: str
    info: dict[str, Any]


class StepRequest(_Model):
    """One action: a tool call as a dict (``{"name", "arguments"}`` or an OpenAI
    ``tool_calls`` entry) or a string in the text format. A malformed action is an
    observation, not an error."""

    action: dict[str, Any] | str


class StepResult(_Model):
    observation: str
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]


class EpisodeState(_Model):
    episode_id: str
    task_id: str
    status: EpisodeStatus
    """running; done (terminated or truncated); failed (an infrastructure fault or the
    step deadline ended it; its containers are gone)."""
    steps: int
    created: float
    """Unix time."""
    idle_seconds: float
    failure: str | None = None


class DeletedEpisode(_Model):
    episode_id: str
    deleted: bool = True


class TaskInfo(_Model):
    id: str
    suite: str
    full_id: str
    python: str
    problem_statement: str
    fail_to_pass: int
    pass_to_pass: int
    has_gold_patch: bool


class TasksQuery(_Model):
    """Query of ``GET /v1/tasks`` (unknown parameters are refused)."""

    suite: str | None = Field(None, pattern=SUITE, max_length=100)
    """Only this suite's tasks (default: every suite's)."""


class GradeRequest(_Model):
    """Grade a patch against a task's hidden tests in a fresh container."""

    task_id: str = Field(pattern=TASK_ID, max_length=300)
    """``suite/id``, or ``id`` (looked up in ``suite``, or in every suite)."""
    suite: str | None = Field(None, pattern=SUITE, max_length=100)
    patch: str
    timeout: float = Field(600.0, gt=0, le=3600)
    """Timeout of the hidden test run, in seconds."""


class Health(_Model):
    status: Literal["ok", "shutting_down", "docker_unavailable"]
    episodes: int
    version: str


class ErrorDetail(_Model):
    kind: str
    """Machine-readable: unauthorized, bad_request, not_found, method_not_allowed,
    unknown_episode, unknown_task, unknown_suite, episode_over, episode_failed,
    too_many_episodes, too_many_grades, body_too_large, step_timeout, reset_timeout,
    grade_timeout, shutting_down, internal, or the name of a SweEnvError subclass
    (DockerUnavailable, SandboxError, ImageMissing, …)."""
    message: str
    retryable: bool
    """Whether the same request may succeed later. Failed steps are not retryable: the
    episode is over and a retry with the same Idempotency-Key replays the failure."""


class ErrorBody(_Model):
    error: ErrorDetail


class ServiceError(HTTPException):
    """An error answer with a JSON :class:`ErrorBody`."""

    def __init__(
        self,
        status_code: int,
        kind: str,
        message: str,
        *,
        retryable: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message, headers)
        self.kind = kind
        self.message = message
        self.retryable = retryable

    def body(self) -> dict[str, Any]:
        return {"error": {"kind": self.kind, "message": self.message, "retryable": self.retryable}}


def invalid(loc: tuple[str | int, ...], message: str) -> RequestValidationError:
    """A 422 in FastAPI's own validation format (so it matches the OpenAPI schema)."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error status codes (all share ErrorBody)."""
    return {code: {"model": ErrorBody} for code in codes}
