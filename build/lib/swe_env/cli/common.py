"""What every command group shares: consoles, one-line errors, input and output checks,
progress bars, suite loading and image builds."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from swe_env.errors import SweEnvError

if TYPE_CHECKING:
    from swe_env.tasks.spec import TaskSpec

console = Console(stderr=True)
"""Messages, progress and errors (stderr)."""
out = Console()
"""Results: tables and JSON (stdout)."""

PythonOpt = Annotated[str, typer.Option("--python", help="Python version: 3.9, 3.11 or 3.13.")]
SuiteOpt = Annotated[str, typer.Option(help="Suite name (under tasks/) or directory.")]
TaskOpt = Annotated[
    list[str] | None,
    typer.Option("--task", help="Only these task ids or glob patterns (repeatable)."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A run's config (YAML: env, agent, policy, runner); flags given override it.",
    ),
]


def fail(exc: Exception | str, code: int = 1) -> NoReturn:
    """Print ``error: <exc>`` (and the tail of its build log, if any), then exit ``code``."""
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    log = getattr(exc, "log", "")
    if log:
        console.print(log[-4000:], markup=False, highlight=False)
    raise typer.Exit(code)


def interrupted(message: str) -> NoReturn:
    """Report a Ctrl-C in one line and exit 130 (the shell's code for SIGINT)."""
    console.print(f"[yellow]interrupted:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(130)


@contextlib.contextmanager
def episode_errors(bars: Progress, out_dir: Path, finished: Callable[[], int]) -> Iterator[None]:
    """An episode run's Ctrl-C (exit 130, finished episodes kept) and errors (exit 1), each
    as one line."""
    try:
        yield
    except KeyboardInterrupt:
        bars.stop()
        interrupted(
            f"{finished()} episode(s) finished and saved in {out_dir / 'trajectories.jsonl'}"
            f"; rerun with --out {out_dir} to run the rest"
        )
    except (SweEnvError, RuntimeError, OSError, ValueError) as exc:
        bars.stop()
        fail(exc)


def engine() -> Any:
    """A Docker client, or one error line and exit 2 when the engine cannot be reached."""
    from swe_env.sandbox.docker import docker_client

    try:
        return docker_client()
    except SweEnvError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def input_file(path: Path, option: str, code: int = 1) -> Path:
    """``path`` if it is a readable file; else one error line and exit ``code``."""
    if not path.exists():
        fail(f"{option} {path}: no such file", code)
    if path.is_dir():
        fail(f"{option} {path}: is a directory, not a file", code)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        fail(f"{option} {path}: cannot be read ({_why(exc)})", code)
    return path


def output_dir(path: Path, option: str) -> Path:
    """Make ``path`` a directory we can write in; else one error line and exit 1."""
    if path.exists() and not path.is_dir():
        fail(f"{option} {path}: is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        fail(f"{option} {path}: cannot write there ({_why(exc)})")
    return path


def output_file(path: Path, option: str) -> Path:
    """Check that ``path`` can be written as a file (its directory is made); else one
    error line and exit 1."""
    if path.is_dir():
        fail(f"{option} {path}: is a directory, not a file")
    output_dir(path.parent, f"{option} {path}: its directory")
    if path.exists():
        try:
            with path.open("ab"):
                pass
        except OSError as exc:
            fail(f"{option} {path}: cannot be written ({_why(exc)})")
    return path


def progress() -> Progress:
    """A progress bar on stderr with a free-text ``note`` field."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        transient=False,
    )


IncludeQuarantined = Annotated[
    bool, typer.Option(help="Also the tasks in the suite's quarantine (failed validation).")
]


def load_or_exit(suite: str, include_quarantined: bool = False) -> list[TaskSpec]:
    """The tasks of ``suite``; one error line and exit 1 if it cannot be read or is empty.
    Quarantined tasks (failed validation) are left out unless ``include_quarantined``."""
    from swe_env.tasks import load_suite

    try:
        tasks = load_suite(suite, include_quarantined=include_quarantined)
    except SweEnvError as exc:
        fail(exc)
    if not tasks:
        fail(ValueError(f"suite {suite!r} has no tasks"))
    return tasks


def select_or_exit(suite: str, wanted: list[str] | None) -> list[TaskSpec]:
    """The tasks of ``suite`` that ``wanted`` (ids, full ids or globs) names (all if None)."""
    from swe_env.tasks.select import select_tasks

    try:
        return select_tasks(load_or_exit(suite), wanted, suite)
    except ValueError as exc:
        fail(exc)


def build_with_progress(
    tasks: list[TaskSpec], client: Any, workers: int | None = None
) -> dict[str, str]:
    """Build missing images for ``tasks`` with a live progress bar."""
    from swe_env.images.build import ensure_images, env_tag, instance_tag

    total = len({env_tag(t.environment) for t in tasks}) + len({instance_tag(t) for t in tasks})
    with progress() as bars:
        bar = bars.add_task("images", total=total, note="")
        built: list[str] = []

        def done(tag: str, was_built: bool) -> None:
            if was_built:
                built.append(tag)
            bars.advance(bar)

        started = time.monotonic()
        try:
            result = ensure_images(
                tasks,
                client,
                workers=workers,
                progress=lambda tag, msg: bars.update(bar, note=f"{tag.split(':')[-1][:40]}"),
                on_done=done,
            )
        except SweEnvError as exc:
            bars.stop()
            fail(exc)
        bars.update(bar, note=f"{len(built)} built, {total - len(built)} cached")
    console.print(
        f"[green]✓[/] {total} images ready ({len(built)} built) "
        f"in {time.monotonic() - started:.1f}s"
    )
    return result
