"""``swe-env tasks env`` and ``swe-env tasks mutate``: the task factory (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from swe_env.cli.common import console, engine, fail, out
from swe_env.errors import SweEnvError

RepoArg = Annotated[Path, typer.Argument(help="The repository (a directory with its tests).")]
T = TypeVar("T")


def _made(make: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``make(*args, **kwargs)`` with its progress printed dim; its error is one line."""
    try:
        return make(
            *args, **kwargs, on_progress=lambda message: console.print(f"[dim]{message}[/]")
        )
    except SweEnvError as exc:
        fail(exc)


def tasks_env(
    repo: RepoArg,
    run: Annotated[bool, typer.Option(help="Build the image and run the suite twice.")] = True,
    show: Annotated[int, typer.Option(help="How many passing test ids to list.")] = 20,
) -> None:
    """Infer the environment (Python, packages, test command) of a repository, then run its
    suite twice in a container: the tests that pass both times, and the flaky ones."""
    from swe_env.factory import probe
    from swe_env.factory.infer import infer_environment
    from swe_env.rollout.validate import ImageCache

    inference = infer_environment(repo)
    if inference.spec is None:
        fail(f"{repo}: not supported: {inference.reason}")
    out.print_json(inference.spec.model_dump_json())
    for note in inference.notes:
        console.print(f"[dim]{note}[/]")
    if not run:
        return
    client = engine()
    task = probe.probe_task(repo, inference.spec, repo.resolve().name)
    try:
        image = ImageCache(client).ready(task)
        base = probe.baseline(task, image, client)
    except SweEnvError as exc:
        fail(exc)
    for test in base.passing[:show]:
        out.print(f"PASSED {test}")
    if len(base.passing) > show:
        out.print(f"… and {len(base.passing) - show} more")
    for test in base.flaky:
        out.print(f"[yellow]FLAKY[/] {test}")
    console.print(
        f"{len(base.passing)} passing, {len(base.failing)} failing, {len(base.flaky)} flaky "
        f"(dropped); one run {base.seconds:.1f}s"
    )
    if not base.passing:
        fail(f"{repo}: no test passes at HEAD: {base.error or 'see the failing tests'}")


PolicyOpt = Annotated[
    str, typer.Option("--policy", help="Who writes problem statements: template or openai.")
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server (…/v1) for --policy openai."),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name for --policy openai.")]


def _writer(policy: str, base_url: str | None, model: str | None):
    from swe_env.factory.model import ModelWriter

    if policy == "template":
        return None
    if policy != "openai":
        fail(f"--policy {policy!r}: expected template or openai")
    if not base_url or not model:
        fail("--policy openai needs --base-url and --model")
    return ModelWriter(base_url, model)


def _report(summary) -> None:
    table = Table("candidates", "kept", "validated", "minutes", "drop reasons")
    drops = ", ".join(f"{reason}: {n}" for reason, n in summary.drops.most_common())
    table.add_row(
        str(summary.candidates),
        str(summary.kept),
        str(summary.validated),
        f"{summary.seconds / 60:.1f}",
        drops or "-",
    )
    out.print(table)
    if summary.resumed:
        console.print(f"[dim]{summary.resumed} candidates were decided by an earlier run[/]")
    if not summary.validated:
        raise typer.Exit(1)


def tasks_mutate(
    repo: RepoArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Suite directory to write tasks in.")],
    max_candidates: Annotated[int, typer.Option("--max", help="Candidates to try.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the candidates' choice.")] = 0,
    workers: Annotated[int, typer.Option(help="Candidates run (and validated) at once.")] = 2,
    k: Annotated[int, typer.Option(help="Keep a mutation breaking at most K tests.")] = 10,
    policy: PolicyOpt = "template",
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
) -> None:
    """Mutate-fix: mutate the source functions the passing tests call, keep the mutations
    that break 1..K tests, write them as tasks (the mutated code is the base state, the
    gold patch the reverse diff) and validate them; broken ones are quarantined. Re-running
    with the same --out resumes (decided candidates are not run again)."""
    from swe_env.factory.mutate import make_tasks

    if not repo.is_dir():
        fail(f"{repo}: not a directory")
    writer = _writer(policy, base_url, model)
    summary = _made(
        make_tasks,
        repo,
        out_dir,
        engine(),
        max_candidates=max_candidates,
        seed=seed,
        workers=workers,
        k=k,
        writer=writer,
    )
    _report(summary)


def tasks_mine(
    repo: RepoArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Suite directory to write tasks in.")],
    since: Annotated[
        str | None, typer.Option(help="Only commits after this revision (tag, branch, sha).")
    ] = None,
    max_candidates: Annotated[
        int | None, typer.Option("--max", help="Try the newest N candidate commits.")
    ] = None,
    workers: Annotated[int, typer.Option(help="Commits run (and validated) at once.")] = 2,
    policy: PolicyOpt = "template",
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
) -> None:
    """Mine a git repository's history: each commit changing tests and code together gives
    a task (base: its parent; hidden tests: its test files; gold patch: its other changes)
    when a test fails before it and passes after; tasks are validated, broken ones
    quarantined. Re-running with the same --out resumes."""
    from swe_env.factory.mine import mine_tasks

    if not repo.is_dir():
        fail(f"{repo}: not a directory")
    if not (repo / ".git").exists():
        fail(f"{repo}: not a git repository (`swe-env tasks history PKG` builds one of releases)")
    writer = _writer(policy, base_url, model)
    summary = _made(
        mine_tasks,
        repo,
        out_dir,
        engine(),
        since=since,
        max_candidates=max_candidates,
        workers=workers,
        writer=writer,
    )
    if not summary.candidates:
        fail(f"{repo}: no commit changes Python tests and Python code together" + (
            f" after {since}" if since else ""
        ))  # fmt: skip
    _report(summary)


def tasks_history(
    package: Annotated[str, typer.Argument(help="A project on the package index.")],
    out_dir: Annotated[Path, typer.Option("--out", help="New directory for the git history.")],
    releases: Annotated[int, typer.Option(help="How many consecutive releases.")] = 5,
    until: Annotated[
        str | None, typer.Option(help="The newest release to include (default: the latest).")
    ] = None,
) -> None:
    """Build a git repository whose commits are a project's consecutive release sdists
    (oldest first, tagged v<version>), fetched with pip as its configuration says; then
    `swe-env tasks mine` it."""
    from swe_env.factory.history import build_history

    versions = _made(
        build_history,
        package,
        out_dir,
        releases,
        until=until,
    )
    out.print(f"{out_dir}: {len(versions)} commits ({', '.join(versions)})")
