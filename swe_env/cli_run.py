"""``swe-env run`` (the main job) and ``swe-env evaluate``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli import _client, _fail, app, console, out
from swe_env.cli_tasks import IncludeQuarantined, _progress, build_with_progress, load_or_exit
from swe_env.errors import SweEnvError


@app.command()
def run(
    suite: Annotated[str, typer.Option(help="Suite name (under tasks/) or directory.")] = "demo",
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Only these task ids (repeatable).")
    ] = None,
    policy: Annotated[
        str, typer.Option(help="replay: replays each task's gold patch through the tools.")
    ] = "replay",
    samples: Annotated[int, typer.Option(help="Episodes per task.")] = 1,
    concurrency: Annotated[int, typer.Option(help="Episodes at once.")] = 2,
    max_turns: Annotated[int, typer.Option(help="Turn budget per episode.")] = 50,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output dir (default runs/run-<time>).")
    ] = None,
) -> None:
    """Run episodes on a suite: build missing images, run, grade, write trajectories.

    Prints a table (task, turns, reward, seconds) and writes one JSON line per episode
    to OUT/trajectories.jsonl. Rerunning with the same --out resumes.
    """
    from swe_env.env import SWEEnvConfig
    from swe_env.rollout.local import run_local
    from swe_env.rollout.replay import ReplayPolicy

    if policy != "replay":
        _fail(ValueError(f"unknown policy {policy!r}; available: replay"))
    tasks = load_or_exit(suite)
    if task:
        wanted = set(task)
        tasks = [t for t in tasks if t.id in wanted or t.full_id in wanted]
        unknown = wanted - {t.id for t in tasks} - {t.full_id for t in tasks}
        if unknown:
            _fail(ValueError(f"unknown task id(s) in {suite}: {', '.join(sorted(unknown))}"))
    client = _client()
    build_with_progress(tasks, client, workers=2)
    out_dir = out_dir or Path("runs") / time.strftime("run-%Y%m%d-%H%M%S")
    config = SWEEnvConfig(suite=suite, max_turns=max_turns)
    started = time.monotonic()
    with _progress() as progress:
        bar = progress.add_task("episodes", total=len(tasks) * samples, note="")
        resolved = [0]

        def done(traj) -> None:
            resolved[0] += traj.resolved
            progress.update(bar, advance=1, note=f"{resolved[0]} resolved")

        try:
            results = run_local(
                config,
                tasks,
                ReplayPolicy,
                out_dir,
                samples=samples,
                concurrency=concurrency,
                on_done=done,
            )
        except SweEnvError as exc:
            progress.stop()
            _fail(exc)
    table = Table("task", "sample", "turns", "reward", "seconds", "status")
    for traj in sorted(results, key=lambda t: (t.task_id, t.sample)):
        status = traj.status if traj.status != "ok" else (traj.grade or {}).get("status", "")
        table.add_row(
            traj.task_id,
            str(traj.sample),
            str(traj.turns),
            f"{traj.reward:g}",
            f"{traj.seconds:.1f}",
            status,
        )
    out.print(table)
    n_res = sum(t.resolved for t in results)
    console.print(
        f"{len(results)} episode(s), {n_res} resolved, "
        f"{sum(t.status != 'ok' for t in results)} infra error(s) in "
        f"{time.monotonic() - started:.1f}s → {out_dir / 'trajectories.jsonl'}"
    )
    if any(t.status != "ok" for t in results):
        raise typer.Exit(1)


@app.command()
def evaluate(
    predictions: Annotated[
        Path, typer.Option(help="SWE-bench predictions (JSONL or JSON).", exists=True)
    ],
    suite: Annotated[str, typer.Option(help="Suite the instance ids belong to.")] = "demo",
    workers: Annotated[int, typer.Option(help="Parallel gradings.")] = 2,
    report: Annotated[Path, typer.Option(help="Where to write the summary report.")] = Path(
        "report.json"
    ),
    run_dir: Annotated[
        Path | None,
        typer.Option(help="Per-instance logs (default: next to the report). Reruns resume."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Test timeout per instance (s).")] = 600.0,
    include_quarantined: IncludeQuarantined = False,
) -> None:
    """Grade a predictions file like the SWE-bench harness; resumable. Images are built as
    the gradings reach them (each env image once), overlapping the gradings."""
    from swe_env.rollout.evaluate import evaluate as run_eval
    from swe_env.rollout.evaluate import read_predictions
    from swe_env.tasks.native import suite_dir
    from swe_env.tasks.quarantine import read_quarantine

    tasks = {t.id: t for t in load_or_exit(suite, include_quarantined)}
    quarantined = {} if include_quarantined else read_quarantine(suite_dir(suite))
    parsed = read_predictions(predictions, set(tasks) | set(quarantined))
    for pred in [p for p in parsed.predictions if p.instance_id in quarantined]:
        parsed.problems.append(f"{pred.instance_id}: quarantined ({quarantined[pred.instance_id]})")
    parsed.predictions = [p for p in parsed.predictions if p.instance_id in tasks]
    for problem in parsed.problems:
        console.print(f"[yellow]skipped[/] {problem}")
    client = _client()
    run_dir = run_dir or report.with_suffix("").parent / (report.stem + "-logs")
    with _progress() as progress:
        bar = progress.add_task("grading", total=len(parsed.predictions), note="")
        counts: dict[str, int] = {}

        def done(iid: str, status: str) -> None:
            counts[status] = counts.get(status, 0) + 1
            progress.update(bar, advance=1, note=", ".join(f"{v} {k}" for k, v in counts.items()))

        try:
            summary = run_eval(
                tasks,
                parsed.predictions,
                run_dir,
                workers=workers,
                timeout=timeout,
                on_done=done,
                client=client,
            )
        except SweEnvError as exc:
            progress.stop()
            _fail(exc)
    summary["invalid_lines"] = parsed.problems
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2))
    table = Table(
        "submitted", "resolved", "unresolved", "empty patch", "error", "env error", "invalid lines"
    )
    table.add_row(
        str(summary["submitted_instances"]),
        str(summary["resolved_instances"]),
        str(summary["unresolved_instances"]),
        str(summary["empty_patch_instances"]),
        str(summary["error_instances"]),
        str(summary["env_error_instances"]),
        str(len(parsed.problems)),
    )
    out.print(table)
    console.print(f"report → {report}; logs → {run_dir}")
