"""``swe-env doctor``: is this machine ready? One line per check, with a fix when it fails."""

from __future__ import annotations

import typer
from rich.markup import escape

from swe_env.cli.common import console, out
from swe_env.cli.doctor_checks import Check, run_checks

MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[bold red]✗[/]", "skip": "[dim]-[/]"}


def format_line(check: Check) -> str:
    """The one plain-text line of a check: ``<status> <name>: <detail>[ (fix: <fix>)]``."""
    line = f"{check.status:<4} {check.name}: {check.detail}"
    if check.fix and check.status in ("warn", "fail"):
        line += f" (fix: {check.fix})"
    if check.status == "fail" and not check.required:
        line += " [optional]"
    return line


def exit_code(checks: list[Check]) -> int:
    """1 when a required check failed, else 0 (warnings and skips do not fail)."""
    return 1 if any(check.failed for check in checks) else 0


def doctor() -> None:
    """Check that this machine is ready: engine, storage, images, disk, pip index, Pythons.

    The Docker engine; the storage driver and whether --storage-opt size works (a hard
    disk quota); the base and demo env images; free disk where the engine keeps images;
    the pip index as seen from a container started as image builds start theirs; the
    Python versions images can use (a base image present, or the Debian mirror's suite).

    Prints one line per check (ok, warn, fail, skip), with a fix for what is wrong, and
    exits 1 when a required check fails (engine, base image, disk, pip index).
    """
    with console.status("checking") as status:
        checks = run_checks(lambda name: status.update(f"checking {name}"))
    for check in checks:
        out.print(
            f"{MARKS[check.status]} {escape(format_line(check))}", highlight=False, soft_wrap=True
        )
    code = exit_code(checks)
    if code:
        console.print("[bold red]error:[/] a required check failed (see its fix above)")
    raise typer.Exit(code)
