"""``swe-env tasks …``: list, show, validate and import task suites."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli.common import (
    IncludeQuarantined,
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
    include_quarantined: IncludeQuarantined = False,
    quarantine: Annotated[
        bool, typer.Option(help="Write broken tasks to the suite's quarantine.json.")
    ] = True,
) -> None:
    """Prove every task is sound: the gold patch resolves, the empty patch does not and
    FAIL_TO_PASS fails at the base. Broken tasks go to the quarantine (with the reason);
    exits non-zero when any task is broken."""
    from swe_env.tasks.native import suite_dir

    tasks = load_or_exit(suite, include_quarantined)
    broken = validate_with_progress(
        tasks, engine(), workers, suite_dir(suite) if quarantine else None
    )
    if broken:
        console.print(f"[red]{broken} of {len(tasks)} task(s) failed validation[/]")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] all {len(tasks)} tasks valid")


def validate_with_progress(tasks, client, workers: int, quarantine: Path | None) -> int:
    """Validate ``tasks`` (building images as they are reached), print the table, and
    quarantine the broken ones in the suite directory ``quarantine`` (``None``: do not).
    Returns how many are broken."""
    from swe_env.rollout.validate import validate_tasks
    from swe_env.tasks.quarantine import update_quarantine

    with progress() as bars:
        bar = bars.add_task("validating", total=len(tasks), note="")
        results = validate_tasks(
            tasks, client, workers=workers, on_done=lambda v: bars.advance(bar)
        )
    table = Table("task", "empty patch", "F2P fail on base", "gold", "")
    for v in results:
        f2p = f"✗ {len(v.f2p_passing_at_base)} pass" if v.f2p_passing_at_base else "✓"
        verdict = "[green]ok[/]" if v.ok else f"[red]{v.reason}[/]"
        table.add_row(v.task_id, v.empty, f2p, v.gold, verdict)
    out.print(table)
    stand_ins = {t.id: t.metadata.get("python_substitute") for t in tasks}
    bad = {}
    for v in results:
        if v.reason and not v.infra:
            tid = v.task_id.rpartition("/")[2]
            sub = stand_ins.get(tid)
            note = f" (on Python {sub['used']} standing in for {sub['asked']})" if sub else ""
            bad[tid] = v.reason + note
    if quarantine is not None:
        cleared = [v.task_id.rpartition("/")[2] for v in results if v.ok]
        update_quarantine(quarantine, bad, cleared)  # type: ignore[arg-type]
        if bad:
            console.print(f"[yellow]{len(bad)} task(s) quarantined in {quarantine}[/]")
    return sum(not v.ok for v in results)


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
    validate: Annotated[
        bool, typer.Option(help="Validate the imported tasks; quarantine the broken ones.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Parallel validations (with --validate).")] = 2,
    nearest_python: Annotated[
        bool,
        typer.Option(
            help="Build specs asking for a Python Debian lacks (3.5-3.8, 3.10, 3.12) on the "
            "nearest newer one (3.9, 3.11, 3.13). Such tasks stay quarantined until they "
            "validate (use with --validate, or run tasks validate later)."
        ),
    ] = False,
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
            file,
            out_dir,
            mirror=repo_mirror,
            git_url_template=git_url_template,
            specs=specs,
            nearest_python=nearest_python,
        )
    except (SweEnvError, OSError) as exc:
        fail(exc)
    data = report.model_dump() if hasattr(report, "model_dump") else vars(report)
    out.print_json(json.dumps(data, default=str))
    if validate and report.imported:
        from swe_env.tasks import load_suite

        wanted = set(report.imported)
        tasks = [t for t in load_suite(str(out_dir), include_quarantined=True) if t.id in wanted]
        validate_with_progress(tasks, engine(), workers, out_dir)


@tasks_app.command("coverage")
def tasks_coverage(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="SWE-bench records (JSON or JSONL; each needs repo and version, so a "
            "listing of instances will do); none: the spec table."
        ),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also write the table (Markdown, or .json).")
    ] = None,
    nearest_python: Annotated[
        bool,
        typer.Option(help="Count what import-swebench --nearest-python would make importable."),
    ] = False,
) -> None:
    """Which SWE-bench instances can run here, and why not the others (skip reasons)."""
    import dataclasses

    from swe_env.tasks import swebench_coverage as cov

    try:
        if file:
            rows = cov.from_records(cov.load_records(file), nearest_python)
        else:
            rows = cov.from_spec_table(nearest_python)
    except SweEnvError as exc:
        fail(exc)
    text = cov.markdown(rows, "instances" if file else "versions")
    sys.stdout.write(text)
    if out_file is not None:
        if out_file.suffix == ".json":
            doc = {"totals": cov.totals(rows), "rows": [dataclasses.asdict(r) for r in rows]}
            out_file.write_text(json.dumps(doc, indent=2) + "\n")
        else:
            out_file.write_text(text)
