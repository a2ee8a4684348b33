"""The FastAPI application: error answers, start-up and shutdown; the routes are in
:mod:`swe_env.server.routes`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from swe_env import __version__
from swe_env.sandbox.provider import SandboxProvider
from swe_env.server.backend import Backend, DockerBackend
from swe_env.server.config import ServerConfig
from swe_env.server.containers import Janitor
from swe_env.server.episodes import EpisodeManager
from swe_env.server.guard import Guard
from swe_env.server.metrics import Metrics
from swe_env.server.models import ServiceError
from swe_env.server.nemo_gym import nemo_gym_routes
from swe_env.server.routes import api_routes, open_routes

log = logging.getLogger(__name__)

DESCRIPTION = """\
swe-env as a service: one Docker container per episode, driven over HTTP.

Every request needs `Authorization: Bearer <token>`, except `GET /healthz` and the API
docs (`/docs`, `/redoc`, `/openapi.json`), which stay open for orchestrators' health
checks. Steps are idempotent per `Idempotency-Key` header. Errors answer a JSON
`{"error": {"kind", "message", "retryable"}}` body; request validation errors keep
FastAPI's `{"detail": [...]}` form.
"""

HTTP_KINDS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


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
    app = FastAPI(
        title="swe-env",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(config, backend, state),
    )
    app.state.metrics = metrics
    app.state.config = config
    app.add_middleware(Guard, token=token, max_body=config.max_body_bytes, on_error=metrics.error)
    _add_error_handlers(app, metrics)
    app.include_router(open_routes)
    app.include_router(api_routes)
    app.include_router(nemo_gym_routes)
    return app


def _lifespan(
    config: ServerConfig, backend: Backend | None, state: dict[str, Any]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up and shutdown of the app. Without ``backend``, start-up connects to the
    engine (failing at once if none answers) and puts the :class:`Janitor` it makes in
    ``state``; shutdown stops the episode manager, then closes that connection."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal backend
        if backend is None:
            provider = SandboxProvider(config.sandbox, pool_size=config.warm_pool)
            await asyncio.to_thread(lambda: provider.client)  # fail now if no engine answers
            state["janitor"] = Janitor(provider, config.service_name, uuid.uuid4().hex[:16])
            state["provider"] = provider
            backend = DockerBackend(state["janitor"], config.sandbox)
        manager = EpisodeManager(config, backend, app.state.metrics, state["janitor"])
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

    return lifespan


def _add_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Answer every error as JSON and count it by kind: ours (:class:`ServiceError`),
    Starlette's HTTP errors, FastAPI's validation errors (in FastAPI's own form) and any
    other exception (500 ``internal``, logged)."""

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
