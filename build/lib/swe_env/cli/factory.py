"""``swe-env tasks env`` and ``swe-env tasks mutate``: the task factory (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli.common import console, engine, fail, out
from swe_env.errors import SweEnvError

RepoArg = Annotated[Path, typer.Argument(help="The repository (a directory with its tests).")]


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


def tasks_mutate(
    repo: RepoArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Suite directory to write tasks in.")],
    max_candidates: Annotated[int, typer.Option("--max", help="Candidates to try.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the candidates' choice.")] = 0,
    workers: Annotated[int, typer.Option(help="Candidates run (and validated) at once.")] = 2,
    k: Annotated[int, typer.Option(help="Keep a mutation breaking at most K tests.")] = 10,
) -> None:
    """Mutate-fix: mutate the source functions the passing tests call, keep the mutations
    that break 1..K tests, write them as tasks (the mutated code is the base state, the
    gold patch the reverse diff) and validate them; broken ones are quarantined."""
    from swe_env.factory.mutate import make_tasks

    if not repo.is_dir():
        fail(f"{repo}: not a directory")
    try:
        summary = make_tasks(
            repo,
            out_dir,
            engine(),
            max_candidates=max_candidates,
            seed=seed,
            workers=workers,
            k=k,
            on_progress=lambda message: console.print(f"[dim]{message}[/]"),
        )
    except SweEnvError as exc:
        fail(exc)
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
    if not summary.validated:
        raise typer.Exit(1)
