"""The ``swe-env`` command."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from swe_env.errors import SweEnvError

app = typer.Typer(
    help="swe-env: software-engineering tasks as reinforcement-learning environments.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
images_app = typer.Typer(help="Base, env and instance images.", no_args_is_help=True)
app.add_typer(images_app, name="images")

console = Console(stderr=True)
out = Console()

INIT_REPO = "git init -q . && git commit -q --allow-empty -m base && git rev-parse HEAD"
PythonOpt = Annotated[str, typer.Option("--python", help="Python version: 3.9, 3.11 or 3.13.")]


def _client():
    from swe_env.sandbox.docker import docker_client

    try:
        return docker_client()
    except SweEnvError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


def _fail(exc: Exception | str) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    log = getattr(exc, "log", "")
    if log:
        console.print(log[-4000:], markup=False, highlight=False)
    raise typer.Exit(1)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def input_file(path: Path, option: str) -> Path:
    """``path`` if it is a readable file; else one error line and exit 1."""
    if not path.exists():
        _fail(f"{option} {path}: no such file")
    if path.is_dir():
        _fail(f"{option} {path}: is a directory, not a file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        _fail(f"{option} {path}: cannot be read ({_why(exc)})")
    return path


def output_dir(path: Path, option: str) -> Path:
    """Make ``path`` a directory we can write in; else one error line and exit 1."""
    if path.exists() and not path.is_dir():
        _fail(f"{option} {path}: is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        _fail(f"{option} {path}: cannot write there ({_why(exc)})")
    return path


def output_file(path: Path, option: str) -> Path:
    """Check that ``path`` can be written as a file (its directory is made); else one
    error line and exit 1."""
    if path.is_dir():
        _fail(f"{option} {path}: is a directory, not a file")
    output_dir(path.parent, f"{option} {path}: its directory")
    if path.exists():
        try:
            with path.open("ab"):
                pass
        except OSError as exc:
            _fail(f"{option} {path}: cannot be written ({_why(exc)})")
    return path


def interrupted(message: str) -> NoReturn:
    """Report a Ctrl-C in one line and exit 130 (the shell's code for SIGINT)."""
    console.print(f"[yellow]interrupted:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(130)


@images_app.command("bootstrap")
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

    client = _client()
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
        _fail(exc)
    verb = f"built in {time.monotonic() - started:.0f}s" if built else "already present"
    console.print(f"[green]✓[/] {tag} {verb}")


@images_app.command("ls")
def images_ls() -> None:
    """List swe-env images (base, env, instance) with their sizes."""
    client = _client()
    table = Table("image", "kind", "size", "created")
    for image in client.images.list(filters={"label": "swe-env.base=1"}) + client.images.list(
        filters={"label": "swe-env.kind"}
    ):
        kind = image.labels.get("swe-env.kind", "base")
        created = image.attrs.get("Created", "")[:19].replace("T", " ")
        for tag in image.tags or [image.short_id]:
            table.add_row(tag, kind, f"{image.attrs['Size'] / 1e6:.0f} MB", created)
    out.print(table)


@app.command()
def gc(
    ttl: Annotated[
        float | None,
        typer.Option(help="Only containers older than this many hours (default: any age)."),
    ] = None,
    include_live: Annotated[
        bool,
        typer.Option(
            "--include-live",
            help="Also remove containers older than --ttl whose owner is alive, on another "
            "host or unknown (this stops running episodes).",
        ),
    ] = False,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="Only containers with this KEY=VALUE label (repeatable)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be removed.")] = False,
) -> None:
    """Remove orphaned containers: those whose owner process is proven dead.

    An owner is dead when it ran on this host and its pid is gone or was reused.
    Containers of live owners, or of other hosts, are kept unless --include-live (with
    --ttl) is given.
    """
    from swe_env.sandbox.gc import find_orphans, remove_orphans

    if include_live and ttl is None:
        _fail(ValueError("--include-live needs --ttl (remove only containers past an age)"))
    if any("=" not in item for item in label or []):
        _fail(ValueError("--label takes KEY=VALUE"))
    client = _client()
    orphans = find_orphans(
        client, None if ttl is None else ttl * 3600, include_live=include_live, labels=label
    )
    table = Table("container", "task", "reason")
    for o in orphans:
        table.add_row(o.name, o.task, o.reason)
    if orphans:
        out.print(table)
    if dry_run:
        console.print(f"{len(orphans)} orphan(s) would be removed")
        return
    removed = remove_orphans(client, orphans)
    console.print(f"[green]✓[/] removed {removed} orphan container(s)")


@app.command()
def smoke(
    python: PythonOpt = "3.11",
    image: Annotated[str | None, typer.Option(help="Image to use (default: the base).")] = None,
) -> None:
    """Run a short scripted episode in a fresh sandbox: bash, create, edit, submit."""
    from swe_env.images.bootstrap import base_tag
    from swe_env.sandbox.docker import DockerSandbox
    from swe_env.tools import execute
    from swe_env.tools.base import ToolContext

    client = _client()
    script = [
        {"name": "bash", "arguments": {"command": INIT_REPO}},
        {"name": "create", "arguments": {"path": "hello.py", "content": "print('hello')\n"}},
        {"name": "edit", "arguments": {"path": "hello.py", "old_str": "hello",
                                       "new_str": "hello, swe-env"}},
        {"name": "bash", "arguments": {"command": "python3 hello.py"}},
        {"name": "submit", "arguments": {}},
    ]  # fmt: skip
    table = Table("step", "tool", "ms", "observation")
    with DockerSandbox(image or base_tag(python), client=client, task="smoke") as sandbox:
        base = sandbox.run(str(script[0]["arguments"]["command"])).output.strip().splitlines()[-1]
        ctx = ToolContext(repo_root="/testbed", base_commit=base)
        for i, action in enumerate(script[1:], 1):
            started = time.perf_counter()
            result = execute(sandbox, action, ctx)
            ms = (time.perf_counter() - started) * 1000
            shown = (result.patch if result.done else result.output) or ""
            table.add_row(str(i), str(action["name"]), f"{ms:.1f}", shown.strip()[:300])
    out.print(table)
    if not (result.done and result.patch and "hello, swe-env" in result.patch):
        console.print("[red]smoke episode did not produce the expected patch[/]")
        raise typer.Exit(1)
    console.print("[green]✓[/] smoke episode passed")


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except SweEnvError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)


# Command modules register themselves on import; kept apart so each stays small.
from swe_env import cli_rollout, cli_run, cli_serve, cli_tasks  # noqa: E402

app.add_typer(cli_tasks.tasks_app, name="tasks")
__all__ = ["app", "cli_rollout", "cli_run", "cli_serve", "main"]
