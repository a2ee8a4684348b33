"""``swe-env run`` (the main job) and ``swe-env evaluate``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from swe_env.cli import (
    _client,
    _fail,
    app,
    console,
    input_file,
    interrupted,
    out,
    output_dir,
    output_file,
)
from swe_env.cli_tasks import _progress, build_with_progress, load_or_exit
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
    out_dir = output_dir(out_dir or Path("runs") / time.strftime("run-%Y%m%d-%H%M%S"), "--out")
    client = _client()
    build_with_progress(tasks, client, workers=2)
    config = SWEEnvConfig(suite=suite, max_turns=max_turns)
    started = time.monotonic()
    with _progress() as progress:
        bar = progress.add_task("episodes", total=len(tasks) * samples, note="")
        resolved = [0]
        finished = [0]

        def done(traj) -> None:
            resolved[0] += traj.resolved
            finished[0] += 1
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
        except KeyboardInterrupt:
            progress.stop()
            interrupted(
                f"{finished[0]} episode(s) finished and saved in {out_dir / 'trajectories.jsonl'}"
                f"; rerun with --out {out_dir} to run the rest"
            )
        except (SweEnvError, OSError, ValueError) as exc:
            progress.stop()
            _fail(exc)
    _print_results(results, time.monotonic() - started, out_dir)


def _print_results(results: list, seconds: float, out_dir: Path) -> None:
    """The episodes' table and a summary line; exit 1 if any hit an infra error."""
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
        f"{seconds:.1f}s → {out_dir / 'trajectories.jsonl'}"
    )
    if any(t.status != "ok" for t in results):
        raise typer.Exit(1)


@app.command()
def evaluate(
    predictions: Annotated[Path, typer.Option(help="SWE-bench predictions (JSONL or JSON).")],
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
) -> None:
    """Grade a predictions file like the SWE-bench harness; resumable."""
    from swe_env.rollout.evaluate import read_predictions

    tasks = {t.id: t for t in load_or_exit(suite)}
    parsed = read_predictions(input_file(predictions, "--predictions"), set(tasks))
    for problem in parsed.problems:
        console.print(f"[yellow]skipped[/] {escape(problem)}", highlight=False)
    if not parsed.predictions:
        _fail(f"--predictions {predictions}: no valid prediction in it")
    output_file(report, "--report")
    run_dir = output_dir(
        run_dir or report.with_suffix("").parent / (report.stem + "-logs"), "--run-dir"
    )
    wanted = [tasks[p.instance_id] for p in parsed.predictions if p.patch.strip()]
    client = _client()
    if wanted:
        build_with_progress(wanted, client, workers)
    summary = _grade_all(tasks, parsed.predictions, run_dir, workers, timeout)
    summary["invalid_lines"] = parsed.problems
    try:
        report.write_text(json.dumps(summary, indent=2))
    except OSError as exc:
        _fail(f"--report {report}: cannot be written ({exc.strerror or exc})")
    table = Table("submitted", "resolved", "unresolved", "empty patch", "error", "invalid lines")
    table.add_row(
        *(
            str(summary[k])
            for k in (
                "submitted_instances",
                "resolved_instances",
                "unresolved_instances",
                "empty_patch_instances",
                "error_instances",
            )
        ),
        str(len(parsed.problems)),
    )
    out.print(table)
    console.print(f"report → {report}; logs → {run_dir}")


def _grade_all(tasks: dict, predictions: list, run_dir: Path, workers: int, timeout: float) -> dict:
    """Grade with a progress bar; Ctrl-C exits 130 (finished records are kept)."""
    from swe_env.rollout.evaluate import evaluate as run_eval

    counts: dict[str, int] = {}
    with _progress() as progress:
        bar = progress.add_task("grading", total=len(predictions), note="")

        def done(iid: str, status: str) -> None:
            counts[status] = counts.get(status, 0) + 1
            progress.update(bar, advance=1, note=", ".join(f"{v} {k}" for k, v in counts.items()))

        try:
            return run_eval(
                tasks, predictions, run_dir, workers=workers, timeout=timeout, on_done=done
            )
        except KeyboardInterrupt:
            progress.stop()
            interrupted(
                f"{sum(counts.values())} instance(s) graded, their records are in {run_dir}; "
                "rerun the same command to grade the rest"
            )
        except (SweEnvError, OSError) as exc:
            progress.stop()
            _fail(exc)
