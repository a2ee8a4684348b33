"""The ``swe-env`` command: one module per command group, assembled here.

Command modules import only :mod:`swe_env.cli.common` (and :mod:`swe_env.cli.config`),
never this package, so there is no import circle.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import swe_env
from swe_env.cli import (
    cluster,
    doctor,
    factory,
    images,
    rollout,
    run,
    sandbox,
    serve,
    tasks,
    traces,
    trajectories,
    view,
)
from swe_env.cli.common import console, out
from swe_env.errors import SweEnvError

app = typer.Typer(
    help="swe-env: software-engineering tasks as reinforcement-learning environments.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"swe-env {swe_env.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """swe-env: software-engineering tasks as reinforcement-learning environments."""


app.add_typer(images.app, name="images")
app.command()(doctor.doctor)
app.add_typer(cluster.app, name="cluster")
app.command()(sandbox.gc)
app.command()(sandbox.smoke)
app.add_typer(trajectories.app, name="trajectories")
app.command()(rollout.rollout)
app.command()(run.run)
app.command()(run.evaluate)
app.command()(serve.serve)
app.command()(view.view)
tasks.tasks_app.command("env")(factory.tasks_env)
tasks.tasks_app.command("mutate")(factory.tasks_mutate)
tasks.tasks_app.command("mine")(factory.tasks_mine)
tasks.tasks_app.command("history")(factory.tasks_history)
app.add_typer(tasks.tasks_app, name="tasks")
app.add_typer(traces.app, name="traces")


def main() -> None:  # pragma: no cover - console entry point
    """The ``swe-env`` entry point: typed errors that escape a command are one line, exit 1."""
    try:
        app()
    except SweEnvError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)


__all__ = ["app", "main"]
