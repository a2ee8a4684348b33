"""``swe-env images …``: the base image, and the env and instance images of suites."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli.common import (
    PythonOpt,
    build_with_progress,
    console,
    engine,
    fail,
    load_or_exit,
    out,
)
from swe_env.errors import SweEnvError

app = typer.Typer(help="Base, env and instance images.", no_args_is_help=True)


@app.command("bootstrap")
def images_bootstrap(
    python: PythonOpt = "3.11",
    force: Annotated[bool, typer.Option(help="Rebuild even if the image exists.")] = False,
    from_image: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Build from a registry image (e.g. python:3.11-slim) instead of the "
            "host's Debian mirror. Needs a reachable registry.",
        ),
    ] = None,
) -> None:
    """Build swe-env/base:py3.X without a registry (host's Debian mirror + docker import).

    Does nothing if the image exists (use --force to rebuild). Takes about a minute.
    """
    from swe_env.images.bootstrap import base_tag, ensure_base

    client = engine()
    started = time.monotonic()
    try:
        with console.status(f"building {base_tag(python)}") as status:
            tag, built = ensure_base(
                python,
                client,
                force=force,
                source=from_image,
                progress=lambda line: status.update(f"[bold]{base_tag(python)}[/] {line}"),
            )
    except (SweEnvError, ValueError, LookupError) as exc:
        fail(exc)
    verb = f"built in {time.monotonic() - started:.0f}s" if built else "already present"
    console.print(f"[green]✓[/] {tag} {verb}")


@app.command("ls")
def images_ls() -> None:
    """List swe-env images (base, env, instance) with their sizes."""
    client = engine()
    table = Table("image", "kind", "size", "created")
    for image in client.images.list(filters={"label": "swe-env.base=1"}) + client.images.list(
        filters={"label": "swe-env.kind"}
    ):
        kind = image.labels.get("swe-env.kind", "base")
        created = image.attrs.get("Created", "")[:19].replace("T", " ")
        for tag in image.tags or [image.short_id]:
            table.add_row(tag, kind, f"{image.attrs['Size'] / 1e6:.0f} MB", created)
    out.print(table)


@app.command("build")
def images_build(
    suite: Annotated[str, typer.Argument(help="Suite name (under tasks/) or directory.")],
    workers: Annotated[
        int | None, typer.Option(help="Parallel builds (default: the core count).")
    ] = None,
) -> None:
    """Build the env and instance images of a suite (cached by content hash)."""
    build_with_progress(load_or_exit(suite), engine(), workers)


@app.command("prune")
def images_prune(
    all_: Annotated[
        bool, typer.Option("--all", help="Also remove base images (rebuilt by bootstrap).")
    ] = False,
) -> None:
    """Remove swe-env env and instance images (and dangling build layers)."""
    client = engine()
    kinds = ["instance", "env"] + (["base"] if all_ else [])
    removed = 0
    for kind in kinds:
        label = "swe-env.base=1" if kind == "base" else f"swe-env.kind={kind}"
        for image in client.images.list(filters={"label": label}):
            for tag in image.tags or [image.id]:
                try:
                    client.images.remove(tag, force=True)
                    removed += 1
                except SweEnvError:
                    pass
                except Exception as exc:
                    console.print(f"[yellow]could not remove {tag}: {exc}[/]")
    client.images.prune(filters={"dangling": True})
    console.print(f"[green]✓[/] removed {removed} image tag(s)")
