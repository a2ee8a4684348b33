"""``swe-env tasks …``: list, show, validate and import task suites."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli.common import (
    build_with_progress,
    console,
    engine,
    fail,
    input_file,
    load_or_exit,
    out,
    output_dir,
    progress,
)
from swe_env.errors import SweEnvError

tasks_app = typer.Typer(help="List, show, validate and import task suites.", no_args_is_help=True)


@tasks_app.command("list")
def tasks_list(suite: Annotated[str | None, typer.Argument(help="Suite to list.")] = None) -> None:
    """List suites, or the tasks of one suite."""
    from swe_env.tasks import list_suites

    suites = [suite] if suite else list_suites()
    table = Table("task", "difficulty", "F2P", "P2P", "python")
    for name in suites:
        for t in load_or_exit(name):
            table.add_row(
                t.full_id,
                str(t.metadata.get("difficulty", "")),
                str(len(t.fail_to_pass)),
                str(len(t.pass_to_pass)),
                t.environment.python,
            )
    out.print(table)


@tasks_app.command("show")
def tasks_show(
    task_id: Annotated[str, typer.Argument(help="suite/id, or an id unique across suites.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the TaskSpec as JSON.")] = False,
) -> None:
    """Show one task (the problem statement, or the whole TaskSpec with --json)."""
    from swe_env.tasks import find_task

    try:
        task = find_task(task_id)
    except SweEnvError as exc:
        fail(exc)
    if as_json:
        sys.stdout.write(task.model_dump_json(indent=2, by_alias=True) + "\n")
        return
    out.print(f"[bold]{task.full_id}[/]  ({task.environment.python}, {task.source.type})")
    out.print(task.problem_statement)


@tasks_app.command("validate")
def tasks_validate(
    suite: Annotated[str, typer.Argument(help="Suite name or directory.")],
    workers: Annotated[int, typer.Option(help="Parallel gradings.")] = 2,
) -> None:
    """Prove every task is sound: hidden tests fail on the base (empty patch does not
    resolve) and the gold patch resolves. Exits non-zero otherwise."""
    from rewards.grade import grade

    tasks = load_or_exit(suite)
    client = engine()
    build_with_progress(tasks, client, workers)
    rows: dict[str, list[str]] = {}
    failures = 0

    def check(task) -> tuple[str, list[str], bool]:
        empty = grade(task, "", client=client)
        f2p_fail_on_base = not empty.fail_to_pass.passed
        gold = grade(task, task.gold_patch or "", client=client) if task.gold_patch else None
        ok = (not empty.resolved) and f2p_fail_on_base and gold is not None and gold.resolved
        row = [
            "✗ resolves" if empty.resolved else "✓",
            "✓" if f2p_fail_on_base else f"✗ {len(empty.fail_to_pass.passed)} pass",
            "missing" if gold is None else ("✓" if gold.resolved else f"✗ {gold.status}"),
        ]
        return task.full_id, row, ok

    with progress() as bars, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        bar = bars.add_task("validating", total=len(tasks), note="")
        for future in as_completed([pool.submit(check, t) for t in tasks]):
            try:
                tid, row, ok = future.result()
            except SweEnvError as exc:
                bars.stop()
                fail(exc)
            rows[tid] = [*row, "[green]ok[/]" if ok else "[red]FAIL[/]"]
            failures += not ok
            bars.advance(bar)
    table = Table("task", "empty patch unresolved", "F2P fail on base", "gold resolves", "")
    for tid in sorted(rows):
        table.add_row(tid, *rows[tid])
    out.print(table)
    if failures:
        console.print(f"[red]{failures} of {len(tasks)} task(s) failed validation[/]")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] all {len(tasks)} tasks valid")


@tasks_app.command("import-swebench")
def tasks_import_swebench(
    file: Annotated[Path, typer.Argument(help="SWE-bench JSON or JSONL file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Suite directory to write.")],
    repo_mirror: Annotated[
        Path | None,
        typer.Option(
            help="Directory of git mirrors: owner__name.git, owner/name(.git) or name(.git)."
        ),
    ] = None,
    git_url_template: Annotated[
        str | None,
        typer.Option(help="Clone URL template with {repo} (owner/name), where a network allows."),
    ] = None,
    spec_file: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON {repo: {version: spec}} overriding swebench's table."),
    ] = None,
) -> None:
    """Convert SWE-bench instances into a native suite (one task.yaml per instance)."""
    from swe_env.tasks.swebench import import_swebench, load_spec_file

    input_file(file, "FILE")
    if spec_file is not None:
        input_file(spec_file, "--spec-file")
    if repo_mirror is not None and not repo_mirror.is_dir():
        fail(f"--repo-mirror {repo_mirror}: not a directory")
    output_dir(out_dir, "--out")
    try:
        specs = load_spec_file(spec_file) if spec_file else None
        report = import_swebench(
            file, out_dir, mirror=repo_mirror, git_url_template=git_url_template, specs=specs
        )
    except (SweEnvError, OSError) as exc:
        fail(exc)
    data = report.model_dump() if hasattr(report, "model_dump") else vars(report)
    out.print_json(json.dumps(data, default=str))
