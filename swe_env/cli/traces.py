"""``swe-env traces collect|export``: execution traces in CWM's format (issue 15)."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from swe_env.cli.common import (
    IncludeQuarantined,
    build_with_progress,
    console,
    engine,
    fail,
    input_file,
    interrupted,
    load_or_exit,
    output_dir,
    output_file,
    progress,
    select_or_exit,
)

app = typer.Typer(
    help="Execution traces in the Code World Model's format: collect and export.",
    no_args_is_help=True,
)


class StateChoice(StrEnum):
    both = "both"
    base = "base"
    gold = "gold"


class ExportFormat(StrEnum):
    parquet = "parquet"


@app.command("collect")
def traces_collect(
    suite: Annotated[str, typer.Argument(help="A suite name (e.g. demo) or directory.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write traces in.")],
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, help="Task states traced at once.")
    ] = max(1, min(4, (os.cpu_count() or 2) // 2)),
    state: Annotated[
        StateChoice, typer.Option(help="Trace the base state, the gold state, or both (pairs).")
    ] = StateChoice.both,
    max_events: Annotated[int, typer.Option(min=1, help="Events kept per trace.")] = 1000,
    max_value: Annotated[int, typer.Option(min=8, help="Characters per value.")] = 200,
    per_function: Annotated[int, typer.Option(min=1, help="Traces of one function per test.")] = 2,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per traced test run.")] = 600,
    task: Annotated[
        list[str] | None,
        typer.Option("--task", "-t", help="Only these tasks (ids or globs); repeat for more."),
    ] = None,
    include_quarantined: IncludeQuarantined = False,
) -> None:
    """Trace the hidden tests of every task of SUITE on its base and gold states, in fresh
    containers: one JSONL file per task and state in OUT/traces/ (task, state, test,
    function, format version, event count, truncation flags, the trace's text). Task states
    already in OUT are skipped, so a rerun finishes an interrupted run."""
    from swe_env.traces.collect import STATES, Outcome, TraceLimits, collect

    tasks = select_or_exit(suite, task) if task else load_or_exit(suite, include_quarantined)
    output_dir(out, "--out")
    limits = TraceLimits(max_events=max_events, max_value=max_value, per_function=per_function)
    states = STATES if state is StateChoice.both else (state.value,)
    client = engine()
    build_with_progress(tasks, client)
    errors: list[Outcome] = []
    with progress() as bars:
        bar = bars.add_task("traces", total=len(tasks) * len(states), note="")

        def done(outcome: Outcome) -> None:
            if outcome.error:
                errors.append(outcome)
            note = "cached" if outcome.skipped else f"{outcome.traces} traces"
            bars.update(bar, advance=1, note=f"{outcome.task} {outcome.state}: {note}")

        try:
            outcomes = collect(
                tasks, out, concurrency=concurrency, states=states, limits=limits,
                timeout=timeout, client=client, on_done=done,
            )  # fmt: skip
        except KeyboardInterrupt:
            bars.stop()
            interrupted(f"finished task states are kept; rerun with --out {out} for the rest")
    total = sum(o.traces for o in outcomes)
    skipped = sum(o.skipped for o in outcomes)
    for outcome in errors:
        console.print(f"[yellow]not traced:[/] {outcome.task} {outcome.state}: {outcome.error}")
    console.print(
        f"[green]✓[/] {total} traces from {len(outcomes) - skipped - len(errors)} task states "
        f"({skipped} already there, {len(errors)} failed) in {out / 'traces'}"
    )
    if errors:
        raise typer.Exit(1)


@app.command("export")
def traces_export(
    run_dir: Annotated[Path, typer.Argument(help="A collect run's --out directory.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = (
        ExportFormat.parquet
    ),
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: DIR/traces.parquet).")
    ] = None,
) -> None:
    """Export every trace of a collect run as one Parquet file (one row a trace)."""
    from swe_env.traces.collect import read_traces, write_parquet

    if not run_dir.is_dir():
        input_file(run_dir, "DIR")
    target = output_file(out or run_dir / f"traces.{fmt.value}", "--out")
    try:
        records = read_traces(run_dir)
    except (OSError, ValueError) as exc:
        fail(f"{run_dir}: {exc}")
    if not records:
        fail(f"{run_dir}: no traces (run `swe-env traces collect SUITE --out {run_dir}` first)")
    rows = write_parquet(records, target)
    console.print(f"[green]✓[/] {rows} traces written to {target}")
