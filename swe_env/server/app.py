"""The FastAPI application: routes, error answers, start-up and shutdown."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException

from rewards.grade import Grade
from swe_env import __version__
from swe_env.sandbox.provider import SandboxProvider
from swe_env.server.backend import Backend, DockerBackend
from swe_env.server.config import ServerConfig
from swe_env.server.containers import Janitor
from swe_env.server.episodes import EpisodeManager
from swe_env.server.guard import Guard
from swe_env.server.metrics import Metrics
from swe_env.server.models import (
    CreateEpisode,
    DeletedEpisode,
    EpisodeCreated,
    EpisodeState,
    GradeRequest,
    Health,
    ServiceError,
    StepRequest,
    StepResult,
    TaskInfo,
    TasksQuery,
    errors,
)

log = logging.getLogger(__name__)

DESCRIPTION = """\
swe-env as a service: one Docker container per episode, driven over HTTP.

Every request needs `Authorization: Bearer <token>`, except `GET /healthz` and the API
docs (`/docs`, `/redoc`, `/openapi.json`), which stay open for orchestrators' health
checks. Steps are idempotent per `Idempotency-Key` header. Errors answer a JSON
`{"error": {"kind", "message", "retryable"}}` body; request validation errors keep
FastAPI's `{"detail": [...]}` form.
"""

EpisodeId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="From POST /v1/episodes.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Resending a request with the same key returns the first answer; "
        "the action does not run twice. The same key with a different body answers 422 "
        "(kind idempotency_key_reused).",
    ),
]
KEY_REUSED = {
    422: {
        "description": "Validation error, or an Idempotency-Key reused with another body",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/ErrorBody"},
                        {"$ref": "#/components/schemas/HTTPValidationError"},
                    ]
                }
            }
        },
    }
}
HTTP_KINDS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
_bearer = HTTPBearer(auto_error=False, description="The service token.")


async def _manager(request: Request) -> EpisodeManager:
    # async on purpose: FastAPI runs a sync dependency in a worker thread.
    return request.app.state.manager


Manager = Annotated[EpisodeManager, Depends(_manager)]


def create_app(
    config: ServerConfig | None = None,
    *,
    backend: Backend | None = None,
    janitor: Janitor | None = None,
) -> FastAPI:
    """Build the service.

    Without ``backend``, start-up connects to the Docker engine and runs episodes there,
    with a :class:`Janitor` labelling and removing the service's containers. Pass both
    to run on something else (tests do).
    """
    config = config or ServerConfig()
    token = config.token.get_secret_value() if config.token else None
    state: dict[str, Any] = {"janitor": janitor}

    def count_containers() -> int:
        j = state["janitor"]
        return j.count_alive() if j is not None else 0

    metrics = Metrics(count_containers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal backend
        if backend is None:
            provider = SandboxProvider(config.sandbox)
            await asyncio.to_thread(lambda: provider.client)  # fail now if no engine answers
            state["janitor"] = Janitor(provider, config.service_name, uuid.uuid4().hex[:16])
            state["provider"] = provider
            backend = DockerBackend(state["janitor"], config.sandbox)
        manager = EpisodeManager(config, backend, metrics, state["janitor"])
        app.state.manager = manager
        await manager.start()
        try:
            yield
        finally:
            try:
                await manager.shutdown()
            finally:
                if state.get("provider") is not None:
                    state.pop("provider").close()

    app = FastAPI(
        title="swe-env",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.config = config
    app.add_middleware(Guard, token=token, max_body=config.max_body_bytes, on_error=metrics.error)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        metrics.error(exc.kind)
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = HTTP_KINDS.get(exc.status_code, f"http_{exc.status_code}")
        return await service_error(
            request, ServiceError(exc.status_code, kind, str(exc.detail), headers=exc.headers)
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.error("validation")
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        error = ServiceError(500, "internal", type(exc).__name__)
        metrics.error(error.kind)
        return JSONResponse(error.body(), status_code=500)

    api = APIRouter(dependencies=[Depends(_bearer)], responses=errors(401))

    @api.post(
        "/v1/episodes",
        status_code=201,
        response_model=EpisodeCreated,
        responses={**errors(400, 404, 413, 429, 503, 504), **KEY_REUSED},
        tags=["episodes"],
    )
    async def create_episode(
        body: CreateEpisode, m: Manager, key: IdempotencyKey = None
    ) -> EpisodeCreated:
        """Start an episode (a container for the task) and return the first observation.

        429 with Retry-After when ``max_episodes`` are open. 404 for an unknown suite or
        task. 503 on an infrastructure fault (retryable unless the task or its image is
        broken). 422 when the Idempotency-Key was used with another body.
        """
        return await m.create(body, key)

    @api.post(
        "/v1/episodes/{episode_id}/step",
        response_model=StepResult,
        responses={**errors(400, 404, 409, 413, 500, 503, 504), **KEY_REUSED},
        tags=["episodes"],
    )
    async def step_episode(
        episode_id: EpisodeId, body: StepRequest, m: Manager, key: IdempotencyKey = None
    ) -> Response:
        """Run one action. A bad action is an observation (200), never an error.

        409 once the episode is done or failed. 503 (an infrastructure fault) and 504
        (the step deadline) fail the episode; its containers are removed. A replayed
        answer carries ``Idempotent-Replayed: true``; a key reused with another action
        answers 422.
        """
        result, replayed = await m.step(episode_id, body.action, key)
        # The hot path: serialized straight from the model, skipping FastAPI's second
        # validation of an answer that is a StepResult already.
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return Response(result.model_dump_json(), media_type="application/json", headers=headers)

    @api.get(
        "/v1/episodes/{episode_id}",
        response_model=EpisodeState,
        responses=errors(404),
        tags=["episodes"],
    )
    async def get_episode(episode_id: EpisodeId, m: Manager) -> EpisodeState:
        """The episode's status, step count and idle time."""
        return m.state(episode_id)

    @api.delete(
        "/v1/episodes/{episode_id}",
        response_model=DeletedEpisode,
        responses=errors(404),
        tags=["episodes"],
    )
    async def delete_episode(episode_id: EpisodeId, m: Manager) -> DeletedEpisode:
        """End the episode and remove its containers (a running step is cut short)."""
        await m.delete(episode_id)
        return DeletedEpisode(episode_id=episode_id)

    @api.get(
        "/v1/tasks",
        response_model=list[TaskInfo],
        responses=errors(404, 503),
        tags=["tasks"],
    )
    async def list_tasks(m: Manager, query: Annotated[TasksQuery, Query()]) -> list[TaskInfo]:
        """The tasks of ``suite``, or of every suite on the server."""
        return await m.run(m.catalog.infos, query.suite)

    @api.post(
        "/v1/grade",
        response_model=Grade,
        responses=errors(400, 404, 413, 429, 503, 504),
        tags=["tasks"],
    )
    async def grade_patch(body: GradeRequest, m: Manager) -> Any:
        """Grade a patch against the task's hidden tests in a fresh container."""
        return await m.grade(body)

    @app.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Health}},
        tags=["service"],
    )
    async def healthz(m: Manager) -> Any:
        """Liveness and readiness; open without a token. 503 when the engine is gone."""
        health = Health(status="ok", episodes=len(m.episodes), version=__version__)
        if m.closing:
            health.status = "shutting_down"
        elif m.janitor is not None:
            try:
                await asyncio.wait_for(m.run(m.janitor.provider.ping), 10)
            except Exception:
                health.status = "docker_unavailable"
        if health.status == "ok":
            return health
        return JSONResponse(health.model_dump(), status_code=503)

    @api.get(
        "/metrics",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        tags=["service"],
    )
    async def prometheus_metrics(m: Manager) -> Response:
        """Prometheus metrics: active episodes, step latency, errors by kind, containers."""
        return Response(await m.run(metrics.render), media_type=CONTENT_TYPE_LATEST)

    app.include_router(api)
    return app
