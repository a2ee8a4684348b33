"""``swe-env run`` (the main job) and ``swe-env evaluate``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from swe_env.cli.common import (
    ConfigOpt,
    IncludeQuarantined,
    SuiteOpt,
    TaskOpt,
    build_with_progress,
    console,
    engine,
    episode_errors,
    fail,
    input_file,
    interrupted,
    load_or_exit,
    out,
    output_dir,
    output_file,
    progress,
    select_or_exit,
)
from swe_env.cli.config import default, finish_config, given, read_config, set_path
from swe_env.cli.rollout import run_episodes
from swe_env.env_config import SWEEnvConfig
from swe_env.errors import SweEnvError
from swe_env.rollout.config import RolloutConfig

RUN_DEFAULTS = {"policy": {"type": "replay"}, "runner": {"type": "local", "concurrency": 2}}
"""``run``'s own defaults, under a ``--config`` file (``rollout``'s differ)."""
FLAGS = {
    "suite": "env.suite",
    "task": "env.task_ids",
    "samples": "samples",
    "concurrency": "runner.concurrency",
    "max_turns": "env.max_turns",
}


def run(
    ctx: typer.Context,
    config_file: ConfigOpt = None,
    suite: SuiteOpt = default(SWEEnvConfig, "suite"),
    task: TaskOpt = None,
    policy: Annotated[
        str, typer.Option(help="replay: replays each task's gold patch through the tools.")
    ] = RUN_DEFAULTS["policy"]["type"],
    samples: Annotated[int, typer.Option(help="Episodes per task.")] = default(
        RolloutConfig, "samples"
    ),
    concurrency: Annotated[int, typer.Option(help="Episodes at once.")] = RUN_DEFAULTS["runner"][
        "concurrency"
    ],
    max_turns: Annotated[int, typer.Option(help="Turn budget per episode.")] = default(
        SWEEnvConfig, "max_turns"
    ),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output dir (default runs/run-<time>).")
    ] = None,
) -> None:
    """Run episodes on a suite: build missing images, run, grade, write trajectories.

    Prints a table (task, turns, reward, seconds) and writes one JSON line per episode
    to OUT/trajectories.jsonl (and the run's config to OUT/config.yaml). Rerunning with
    the same --out resumes.
    """
    config = resolve(config_file, given(ctx))
    tasks = select_or_exit(config.env.suite, config.env.task_ids)
    out_dir = output_dir(out_dir or Path("runs") / time.strftime("run-%Y%m%d-%H%M%S"), "--out")
    config.write(out_dir / "config.yaml")
    build_with_progress(tasks, engine())
    started = time.monotonic()
    results = _run_with_progress(config, tasks, out_dir)
    _print_results(results, time.monotonic() - started, out_dir)


def resolve(config_file: Path | None, flags: dict) -> RolloutConfig:
    """``run``'s config: its defaults, then the file, then the flags given."""
    data = read_config(config_file, RUN_DEFAULTS)
    for name, path in FLAGS.items():
        if name in flags:
            set_path(data, path, flags[name])
    kind = flags.get("policy", (data.get("policy") or {}).get("type"))
    if kind != "replay":
        fail(ValueError(f"unknown policy {kind!r}; available: replay"))
    return finish_config(data, config_file)


def _run_with_progress(config: RolloutConfig, tasks: list, out_dir: Path) -> list:
    """Run the episodes with a progress bar; Ctrl-C exits 130 (finished ones are kept)."""
    from swe_env.policy.replay import ReplayPolicy

    with progress() as bars:
        bar = bars.add_task("episodes", total=len(tasks) * config.samples, note="")
        resolved = [0]
        finished = [0]

        def done(traj) -> None:
            resolved[0] += traj.resolved
            finished[0] += 1
            bars.update(bar, advance=1, note=f"{resolved[0]} resolved")

        with episode_errors(bars, out_dir, lambda: finished[0]):
            return run_episodes(config, tasks, out_dir, ReplayPolicy, on_done=done)


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
    include_quarantined: IncludeQuarantined = False,
) -> None:
    """Grade a predictions file like the SWE-bench harness; resumable. Images are built as
    the gradings reach them (each env image once), overlapping the gradings."""
    tasks = {t.id: t for t in load_or_exit(suite, include_quarantined)}
    parsed = _read_predictions(predictions, suite, tasks, include_quarantined)
    for problem in parsed.problems:
        console.print(f"[yellow]skipped[/] {escape(problem)}", highlight=False)
    if not parsed.predictions:
        fail(f"--predictions {predictions}: no valid prediction in it")
    output_file(report, "--report")
    run_dir = output_dir(
        run_dir or report.with_suffix("").parent / (report.stem + "-logs"), "--run-dir"
    )
    summary = _grade_all(tasks, parsed.predictions, run_dir, workers, timeout, engine())
    summary["invalid_lines"] = parsed.problems
    try:
        report.write_text(json.dumps(summary, indent=2))
    except OSError as exc:
        fail(f"--report {report}: cannot be written ({exc.strerror or exc})")
    table = Table(
        "submitted", "resolved", "unresolved", "empty patch", "error", "env error", "invalid lines"
    )
    table.add_row(
        *(
            str(summary[k])
            for k in (
                "submitted_instances",
                "resolved_instances",
                "unresolved_instances",
                "empty_patch_instances",
                "error_instances",
                "env_error_instances",
            )
        ),
        str(len(parsed.problems)),
    )
    out.print(table)
    console.print(f"report → {report}; logs → {run_dir}")


def _read_predictions(predictions: Path, suite: str, tasks: dict, include_quarantined: bool):
    """The valid predictions; those of quarantined tasks are reported as problems."""
    from swe_env.rollout.evaluate import read_predictions
    from swe_env.tasks.native import suite_dir
    from swe_env.tasks.quarantine import read_quarantine

    quarantined = {} if include_quarantined else read_quarantine(suite_dir(suite))
    parsed = read_predictions(
        input_file(predictions, "--predictions"), set(tasks) | set(quarantined)
    )
    for pred in [p for p in parsed.predictions if p.instance_id in quarantined]:
        parsed.problems.append(f"{pred.instance_id}: quarantined ({quarantined[pred.instance_id]})")
    parsed.predictions = [p for p in parsed.predictions if p.instance_id in tasks]
    return parsed


def _grade_all(
    tasks: dict, predictions: list, run_dir: Path, workers: int, timeout: float, client: Any
) -> dict:
    """Grade with a progress bar; Ctrl-C exits 130 (finished records are kept)."""
    from swe_env.rollout.evaluate import evaluate as run_eval

    counts: dict[str, int] = {}
    with progress() as bars:
        bar = bars.add_task("grading", total=len(predictions), note="")

        def done(iid: str, status: str) -> None:
            counts[status] = counts.get(status, 0) + 1
            bars.update(bar, advance=1, note=", ".join(f"{v} {k}" for k, v in counts.items()))

        try:
            return run_eval(
                tasks,
                predictions,
                run_dir,
                workers=workers,
                timeout=timeout,
                on_done=done,
                client=client,
            )
        except KeyboardInterrupt:
            bars.stop()
            interrupted(
                f"{sum(counts.values())} instance(s) graded, their records are in {run_dir}; "
                "rerun the same command to grade the rest"
            )
        except (SweEnvError, OSError) as exc:
            bars.stop()
            fail(exc)
