"""``swe-env serve``: the HTTP service (FastAPI on uvicorn)."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from swe_env.cli.common import console, fail, input_file


def read_token(token_file: Path | None) -> tuple[str, str]:
    """The bearer token and where it came from: ``--token-file``, else ``SWE_ENV_TOKEN``,
    else a fresh random one (printed once, so a client can use it)."""
    if token_file is not None:
        token = input_file(token_file, "--token-file").read_text().strip()
        if not token:
            raise ValueError(f"{token_file} is empty")
        return token, str(token_file)
    if os.environ.get("SWE_ENV_TOKEN", "").strip():
        return os.environ["SWE_ENV_TOKEN"].strip(), "SWE_ENV_TOKEN"
    return secrets.token_urlsafe(32), "generated"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="File holding the bearer token (default: $SWE_ENV_TOKEN, else a random "
            "token printed at start).",
        ),
    ] = None,
    max_episodes: Annotated[int, typer.Option(help="Episodes open at once (429 past it).")] = 16,
    max_grades: Annotated[int, typer.Option(help="Gradings at once (429 past it).")] = 2,
    warm_pool: Annotated[int, typer.Option(help="Ready containers per task image (0: off).")] = 0,
    idle_ttl: Annotated[float, typer.Option(help="Close episodes idle this many seconds.")] = 600.0,
    step_timeout: Annotated[float, typer.Option(help="Hard deadline of one step (s).")] = 900.0,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body (MB; 413).")] = 8.0,
    service_name: Annotated[
        str,
        typer.Option(help="Container label; those of a dead earlier run (this host) are removed."),
    ] = "swe-env",
    request_timeout: Annotated[
        float, typer.Option(help="Seconds a client has to send a request or take an answer.")
    ] = 60.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option(help="Log every request (off: steps are many and fast).")
    ] = False,
) -> None:
    """Serve episodes over HTTP (OpenAPI docs at /docs).

    Every request but GET /healthz and the docs needs `Authorization: Bearer <token>`.
    It listens first; then it removes containers that a dead earlier run of the same
    --service-name on this host left behind (never those of a live one). On
    SIGINT/SIGTERM it removes its own.
    """
    from swe_env.server import ServerConfig

    try:
        token, source = read_token(token_file)
        config = ServerConfig(
            token=token,
            max_episodes=max_episodes,
            max_grades=max_grades,
            warm_pool=warm_pool,
            idle_ttl=idle_ttl,
            step_timeout=step_timeout,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            service_name=service_name,
            request_timeout=request_timeout,
        )
        listener = listen(host, port)
    except (ValueError, OSError) as exc:
        fail(exc)
    if source == "generated":
        console.print(f"[bold]token:[/] {token}  (set SWE_ENV_TOKEN or --token-file to choose)")
    else:
        console.print(f"token from {source}")
    console.print(f"serving on http://{host}:{port} (docs at /docs)")
    run_server(config, listener, log_level=log_level, access_log=access_log)


def run_server(config: Any, listener: socket.socket, *, log_level: str, access_log: bool) -> None:
    """Serve ``config``'s app on ``listener`` until SIGINT/SIGTERM; exit 3 if it fails to
    start."""
    import uvicorn

    from swe_env.server import create_app
    from swe_env.server.protocol import deadline_protocol

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level=log_level,
            access_log=access_log,
            timeout_graceful_shutdown=10,
            http=deadline_protocol(config.request_timeout),
        )
    )
    server.run(sockets=[listener])
    if not server.started:
        console.print("[bold red]error:[/] the service failed to start (see the log above)")
        raise typer.Exit(3)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, made before the service starts (so that a busy
    port stops it before it touches any container).

    Raises:
        OSError: the address cannot be used, with a message that says which.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP
    # (without it, small answers wait out delayed ACKs: ~40 ms a step).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock
