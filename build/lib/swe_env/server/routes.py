"""The service's routes: the episode, task and metrics API behind the bearer token
(:data:`api_routes`) and the open health check (:data:`open_routes`).
:func:`~swe_env.server.app.create_app` includes both; every handler reaches the app's
:class:`EpisodeManager` as a dependency.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST

from rewards.grade import Grade
from swe_env import __version__
from swe_env.server.episodes import EpisodeManager
from swe_env.server.models import (
    CreateEpisode,
    DeletedEpisode,
    EpisodeCreated,
    EpisodeState,
    GradeRequest,
    Health,
    SnapshotCreated,
    StepRequest,
    StepResult,
    TaskInfo,
    TasksQuery,
    errors,
)
from swe_env.server.snapshots import snapshot_episode

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
bearer = HTTPBearer(auto_error=False, description="The service token.")


async def _manager(request: Request) -> EpisodeManager:
    # async on purpose: FastAPI runs a sync dependency in a worker thread.
    return request.app.state.manager


Manager = Annotated[EpisodeManager, Depends(_manager)]

api_routes = APIRouter(dependencies=[Depends(bearer)], responses=errors(401))
"""Every route that needs the token."""

open_routes = APIRouter()
"""Routes open without a token: the health check."""


@api_routes.post(
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
    With ``snapshot``, the episode starts from that snapshot of another episode.

    429 with Retry-After when ``max_episodes`` are open. 404 for an unknown suite or
    task. 503 on an infrastructure fault (retryable unless the task or its image is
    broken). 422 when the Idempotency-Key was used with another body.
    """
    return await m.create(body, key)


@api_routes.post(
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


@api_routes.post(
    "/v1/episodes/{episode_id}/snapshot",
    status_code=201,
    response_model=SnapshotCreated,
    responses=errors(404, 409, 503),
    tags=["episodes"],
)
async def snapshot_episode_route(episode_id: EpisodeId, m: Manager) -> SnapshotCreated:
    """Commit the episode's files, working directory and exported environment (not its
    running processes) between two steps. Start episodes from it with ``snapshot`` in
    ``POST /v1/episodes``. It is removed when this episode ends, once no episode started
    from it runs. 409 for a failed episode; 503 when the engine failed (the episode
    goes on)."""
    return await snapshot_episode(m, episode_id)


@api_routes.get(
    "/v1/episodes/{episode_id}",
    response_model=EpisodeState,
    responses=errors(404),
    tags=["episodes"],
)
async def get_episode(episode_id: EpisodeId, m: Manager) -> EpisodeState:
    """The episode's status, step count and idle time."""
    return m.state(episode_id)


@api_routes.delete(
    "/v1/episodes/{episode_id}",
    response_model=DeletedEpisode,
    responses=errors(404),
    tags=["episodes"],
)
async def delete_episode(episode_id: EpisodeId, m: Manager) -> DeletedEpisode:
    """End the episode and remove its containers (a running step is cut short)."""
    await m.delete(episode_id)
    return DeletedEpisode(episode_id=episode_id)


@api_routes.get(
    "/v1/tasks",
    response_model=list[TaskInfo],
    responses=errors(404, 503),
    tags=["tasks"],
)
async def list_tasks(m: Manager, query: Annotated[TasksQuery, Query()]) -> list[TaskInfo]:
    """The tasks of ``suite``, or of every suite on the server."""
    return await m.run(m.catalog.infos, query.suite)


@api_routes.post(
    "/v1/grade",
    response_model=Grade,
    responses=errors(400, 404, 413, 429, 503, 504),
    tags=["tasks"],
)
async def grade_patch(body: GradeRequest, m: Manager) -> Any:
    """Grade a patch against the task's hidden tests in a fresh container."""
    return await m.grade(body)


@open_routes.get(
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


@api_routes.get(
    "/metrics",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    tags=["service"],
)
async def prometheus_metrics(m: Manager) -> Response:
    """Prometheus metrics: active episodes, step latency, errors by kind, containers."""
    return Response(await m.run(m.metrics.render), media_type=CONTENT_TYPE_LATEST)
