"""``swe-env view``: the trajectory viewer over run directories, in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from swe_env.cli.common import console, fail
from swe_env.cli.serve import listen


def view(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Run directories (holding trajectories.jsonl or trajectories.parquet), "
            "or JSONL / Parquet files; two or more can be compared side by side.",
            show_default=False,
        ),
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Browse runs in a web page: resolved rate, turns, time, tokens and their
    distributions; GRPO groups with mixed rewards; infra errors; every episode step by
    step with its diff and its grade. A run still being written shows new episodes on
    reload. Stop with Ctrl-C.
    """
    import uvicorn

    from swe_env.viewer.web import create_viewer_app

    try:
        app = create_viewer_app(run_dirs)
        listener = listen(host, port)
    except (ValueError, OSError) as exc:
        fail(exc)
    shown = "[" + host + "]" if ":" in host else host
    console.print(f"viewing {len(run_dirs)} run(s) at http://{shown}:{port}/  (Ctrl-C stops)")
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False))
    server.run(sockets=[listener])
