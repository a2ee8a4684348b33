"""``swe-env gc`` and ``swe-env smoke``: orphaned containers, and a scripted episode
that checks a sandbox works."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli.common import PythonOpt, console, engine, fail, out

INIT_REPO = "git init -q . && git commit -q --allow-empty -m base && git rev-parse HEAD"


def gc(
    ttl: Annotated[
        float | None,
        typer.Option(help="Only what is older than this many hours (default: any age)."),
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
    """Remove orphaned containers and snapshot images: those whose owner process is
    proven dead.

    An owner is dead when it ran on this host and its pid is gone or was reused.
    Containers and snapshots of live owners, or of other hosts, are kept unless
    --include-live (with --ttl) is given. A snapshot a container still runs from is kept.
    """
    from swe_env.sandbox.gc import (
        find_orphan_snapshots,
        find_orphans,
        remove_orphans,
        remove_snapshots,
    )

    if include_live and ttl is None:
        fail(ValueError("--include-live needs --ttl (remove only containers past an age)"))
    if any("=" not in item for item in label or []):
        fail(ValueError("--label takes KEY=VALUE"))
    client = engine()
    orphans = find_orphans(
        client, None if ttl is None else ttl * 3600, include_live=include_live, labels=label
    )
    age = None if ttl is None else ttl * 3600
    snapshots = [] if label else find_orphan_snapshots(client, age, include_live=include_live)
    table = Table("container", "task", "reason")
    for o in orphans + snapshots:
        table.add_row(o.name, o.task, o.reason)
    if orphans or snapshots:
        out.print(table)
    if dry_run:
        console.print(f"{len(orphans)} orphan(s) and {len(snapshots)} snapshot(s) would be removed")
        return
    removed = remove_orphans(client, orphans)
    gone = remove_snapshots(client, snapshots)
    console.print(f"[green]✓[/] removed {removed} orphan container(s) and {gone} snapshot(s)")


def smoke(
    python: PythonOpt = "3.11",
    image: Annotated[str | None, typer.Option(help="Image to use (default: the base).")] = None,
) -> None:
    """Run a short scripted episode in a fresh sandbox: bash, create, edit, submit."""
    from swe_env.images.bootstrap import base_tag
    from swe_env.sandbox.docker import DockerSandbox
    from swe_env.tools import execute
    from swe_env.tools.base import ToolContext

    client = engine()
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
