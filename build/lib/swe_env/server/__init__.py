"""swe-env as a service: a FastAPI app that runs one SWEEnv episode per container.

Start it with ``swe-env serve``; drive it with :class:`swe_env.client.RemoteSWEEnv`.
Modules: ``config`` (ServerConfig), ``models`` (the API's request and response models),
``app`` (the app: error answers, start-up, shutdown), ``routes`` (the endpoints),
``episodes`` (the episode manager: thread pool, locks, limits, idempotency, the idle
reaper) and ``state`` (what it keeps per episode), ``catalog`` (the suites offered),
``backend`` (SWEEnv and grading on Docker), ``containers`` (labels and removal of the
service's containers), ``nemo_gym`` (NeMo Gym's GymnasiumServer routes under
``/nemo-gym``), ``guard`` (auth and body cap), ``metrics`` (Prometheus), ``live``
(run the app on a loopback port in a thread).

Importing this package imports no web framework; ``create_app`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from swe_env.server.config import ServerConfig

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(config: ServerConfig | None = None, **kwargs: Any) -> FastAPI:
    """Build the FastAPI app (see :func:`swe_env.server.app.create_app`)."""
    from swe_env.server.app import create_app as build

    return build(config, **kwargs)


__all__ = ["ServerConfig", "create_app"]
