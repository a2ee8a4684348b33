"""``swe-env trajectories stats|export``: summarize and export a run's trajectories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from swe_env.cli.common import console, fail, out, output_file

app = typer.Typer(help="Summarize and export rollout trajectories.", no_args_is_help=True)


def stats_table(summary: dict[str, Any]) -> Table:
    """The headline numbers of :func:`swe_env.rollout.export.stats` as a table."""
    table = Table("episodes", "resolved", "mean turns", "format errors", "infra errors", "tokens")
    rate = f"{summary['resolved']} ({summary['resolved_rate']:.1%})"
    tokens = f"{summary['prompt_tokens']:,} in / {summary['completion_tokens']:,} out"
    fmt = f"{summary['format_errors']} in {summary['episodes_with_format_errors']} ep."
    table.add_row(
        str(summary["episodes"]),
        rate,
        f"{summary['mean_turns']:.1f}",
        fmt,
        str(summary["infra_errors"]),
        tokens,
    )
    return table


@app.command("stats")
def trajectories_stats(
    run_dir: Annotated[Path, typer.Argument(help="A run dir or a trajectories.jsonl file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Summarize a run: episodes, resolved rate, mean turns, errors, tokens."""
    from swe_env.rollout.export import read_trajectories, stats

    try:
        summary = stats(read_trajectories(run_dir))
    except (OSError, ValueError) as exc:
        fail(exc)
    if as_json:
        out.print_json(json.dumps(summary))
        return
    out.print(stats_table(summary))
    extra = Table("submitted", "truncations", "tasks", "mixed-reward groups", "mean seconds")
    extra.add_row(
        str(summary["submitted"]),
        ", ".join(f"{k}: {v}" for k, v in summary["truncations"].items()) or "-",
        str(summary["tasks"]),
        str(summary["mixed_groups"]),
        f"{summary['mean_seconds']:.1f}",
    )
    out.print(extra)


@app.command("export")
def trajectories_export(
    run_dir: Annotated[Path, typer.Argument(help="A run dir or a trajectories.jsonl file.")],
    format: Annotated[str, typer.Option("--format", help="parquet or sft (chat JSONL).")] = (
        "parquet"
    ),
    dest: Annotated[
        Path | None,
        typer.Option("--out", help="Output file (default RUN/trajectories.parquet or sft.jsonl)."),
    ] = None,
    resolved_only: Annotated[bool, typer.Option(help="Keep resolved episodes only.")] = False,
    min_reward: Annotated[float | None, typer.Option(help="Keep episodes at or above.")] = None,
) -> None:
    """Export a run as Parquet (one row per episode) or chat-format SFT JSONL.

    Episodes that ended in an infrastructure error are never exported.
    """
    from swe_env.rollout.export import read_trajectories, select, write_parquet, write_sft

    if format not in ("parquet", "sft"):
        fail(ValueError(f"--format must be parquet or sft, not {format!r}"))
    try:
        records = read_trajectories(run_dir)
    except (OSError, ValueError) as exc:
        fail(exc)
    kept = select(records, resolved_only=resolved_only, min_reward=min_reward)
    base = run_dir if run_dir.is_dir() else run_dir.parent
    default = "trajectories.parquet" if format == "parquet" else "sft.jsonl"
    dest = output_file(dest or base / default, "--out")
    try:
        count = write_parquet(kept, dest) if format == "parquet" else write_sft(kept, dest)
    except OSError as exc:
        fail(f"--out {dest}: cannot be written ({exc.strerror or exc})")
    console.print(f"[green]✓[/] {count} of {len(records)} episode(s) → {dest}")
