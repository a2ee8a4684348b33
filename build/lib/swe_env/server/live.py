"""Run an ASGI app on a loopback port in a background thread (tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real uvicorn serving ``app`` on ``host``; use as a context manager.

    A service app (one with ``app.state.config``) gets the same slow-client deadlines as
    under ``swe-env serve``.

    Leaving the block runs the app's shutdown (its lifespan) and joins the thread.

    Raises:
        RuntimeError: the server did not start within ``start_timeout`` seconds.
    """

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int | None = None, **options: Any
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        options.setdefault("log_level", "warning")
        service = getattr(getattr(app, "state", None), "config", None)
        if "http" not in options and service is not None:
            from swe_env.server.protocol import deadline_protocol

            options["http"] = deadline_protocol(service.request_timeout)
        config = uvicorn.Config(app, host=host, port=self.port, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="swe-env-live", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, start_timeout: float = 60.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + start_timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the server exited during start-up (see its log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start within {start_timeout:g}s")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 120.0) -> None:
        """Shut down gracefully (the app's shutdown runs) and join the thread."""
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
