"""``swe-env rollout`` (episodes at scale, locally or on Ray) and ``swe-env trajectories``."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from swe_env.cli import _client, _fail, app, console, interrupted, out, output_dir, output_file
from swe_env.cli_tasks import _progress, build_with_progress, load_or_exit

trajectories_app = typer.Typer(
    help="Summarize and export rollout trajectories.", no_args_is_help=True
)
app.add_typer(trajectories_app, name="trajectories")


class _Tally:
    """Live counters for the progress display (updated from runner callbacks)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.running = self.done = self.resolved = self.errors = self.format_errors = 0

    def start(self, task: str, sample: int) -> None:
        with self.lock:
            self.running += 1

    def finish(self, traj: Any) -> None:
        with self.lock:
            self.running = max(0, self.running - 1)
            self.done += 1
            self.resolved += bool(traj.resolved)
            self.errors += traj.status != "ok"
            self.format_errors += traj.format_errors

    def note(self) -> str:
        minutes = max(1e-9, (time.monotonic() - self.started) / 60)
        return (
            f"running {self.running} · resolved {self.resolved} · infra errors {self.errors} "
            f"· format errors {self.format_errors} · {self.done / minutes:.1f} ep/min"
        )


def _stats_table(summary: dict[str, Any]) -> Table:
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


@app.command()
def rollout(
    suite: Annotated[str, typer.Option(help="Suite name (under tasks/) or directory.")] = "demo",
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Only these task ids (repeatable).")
    ] = None,
    policy: Annotated[
        str, typer.Option(help="openai: a model behind an OpenAI-compatible server; replay.")
    ] = "openai",
    base_url: Annotated[
        str, typer.Option(help="The server's API root, e.g. http://HOST:8000/v1.")
    ] = "http://127.0.0.1:8000/v1",
    model: Annotated[str | None, typer.Option(help="Model name on the server.")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="Bearer token (default: $SWE_ENV_API_KEY/$OPENAI_API_KEY).")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="tools: native function calls; text: CWM <tool: …> tags.")
    ] = "tools",
    temperature: float = 1.0,
    top_p: float = 1.0,
    max_tokens: Annotated[int, typer.Option(help="Completion tokens per turn.")] = 2048,
    seed: Annotated[int | None, typer.Option(help="Base seed (plus the sample index).")] = None,
    samples: Annotated[int, typer.Option(help="Episodes per task (a GRPO group).")] = 1,
    concurrency: Annotated[int, typer.Option(help="Episodes at once (with Ray: per node).")] = 4,
    max_turns: Annotated[int, typer.Option(help="Turn budget per episode.")] = 50,
    max_seconds: Annotated[float, typer.Option(help="Wall-clock budget per episode.")] = 1800.0,
    context_tokens: Annotated[
        int | None, typer.Option(help="Context budget per episode, in tokens.")
    ] = None,
    budget_note: Annotated[
        bool, typer.Option(help="Show remaining turns/context in a <budget> note.")
    ] = False,
    strict: Annotated[
        bool, typer.Option(help="End an episode at its first malformed action.")
    ] = False,
    vllm_token_ids: Annotated[
        bool, typer.Option(help="Ask vLLM for exact completion and prompt token ids.")
    ] = False,
    request_timeout: Annotated[float, typer.Option(help="Seconds per model request.")] = 600.0,
    request_retries: Annotated[
        int, typer.Option(help="Retries of a model request (429, 5xx, timeouts).")
    ] = 6,
    retries: Annotated[
        int, typer.Option(help="Reruns of an episode hit by an infrastructure fault.")
    ] = 2,
    use_ray: Annotated[bool, typer.Option("--ray", help="Run on a local Ray cluster.")] = False,
    ray_address: Annotated[
        str | None, typer.Option(help="Join this Ray cluster (implies --ray).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output dir (default runs/rollout-<time>).")
    ] = None,
) -> None:
    """Roll out a policy on a suite: K samples per task, streamed to OUT/trajectories.jsonl.

    Rerunning with the same --out resumes: finished (task, sample) pairs are skipped.
    """
    from swe_env.env import SWEEnvConfig
    from swe_env.policy import PolicyConfig, SamplingParams
    from swe_env.rollout.agent import AgentConfig, ChatPolicyFactory
    from swe_env.rollout.export import read_trajectories, stats
    from swe_env.rollout.replay import ReplayPolicy

    try:
        agent = AgentConfig(
            context_tokens=context_tokens, budget_note=budget_note, strict_format=strict
        )
        if policy == "replay":
            make_policy: Any = ReplayPolicy
        elif policy == "openai":
            if not model:
                raise ValueError("--model is required with --policy openai")
            sampling = SamplingParams(
                temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed
            )
            policy_config = PolicyConfig(
                base_url=base_url,
                model=model,
                api_key=api_key,
                mode=_mode(mode),
                sampling=sampling,
                timeout=request_timeout,
                retries=request_retries,
                vllm_token_ids=vllm_token_ids,
            )
            make_policy = ChatPolicyFactory(policy_config, agent)
        else:
            raise ValueError(f"unknown policy {policy!r}; available: openai, replay")
        config = SWEEnvConfig(
            suite=suite,
            max_turns=max_turns,
            max_seconds=max_seconds,
            tool_format="text" if mode == "text" and policy == "openai" else "openai",
        )
    except ValueError as exc:
        _fail(exc)
    tasks = load_or_exit(suite)
    if task:
        wanted = set(task)
        tasks = [t for t in tasks if t.id in wanted or t.full_id in wanted]
        unknown = wanted - {t.id for t in tasks} - {t.full_id for t in tasks}
        if unknown:
            _fail(ValueError(f"unknown task id(s) in {suite}: {', '.join(sorted(unknown))}"))
    if policy == "replay" and any(not t.gold_patch for t in tasks):
        _fail(ValueError("--policy replay needs a gold patch in every task"))
    default_out = Path("runs") / time.strftime("rollout-%Y%m%d-%H%M%S")
    out_dir = output_dir(out_dir or default_out, "--out")
    build_with_progress(tasks, _client(), workers=2)
    tally = _Tally()
    with _progress() as progress:
        bar = progress.add_task("episodes", total=len(tasks) * samples, note="")
        stop = threading.Event()

        def done(traj: Any) -> None:
            tally.finish(traj)
            progress.update(bar, advance=1, note=tally.note())

        def refresh() -> None:  # keeps running counts and the rate current
            while not stop.wait(1.0):
                progress.update(bar, note=tally.note())

        ticker = threading.Thread(target=refresh, daemon=True)
        ticker.start()
        try:
            if use_ray or ray_address:
                from swe_env.rollout.ray_runner import RayRunner, RayRunnerConfig

                runner = RayRunner(
                    config,
                    make_policy,
                    agent=agent,
                    retries=retries,
                    ray_config=RayRunnerConfig(address=ray_address, per_node=concurrency),
                )
                runner.run(tasks, out_dir, samples=samples, on_start=tally.start, on_done=done)
            else:
                from swe_env.rollout.local import run_local

                run_local(
                    config,
                    tasks,
                    make_policy,
                    out_dir,
                    samples=samples,
                    concurrency=concurrency,
                    agent=agent,
                    retries=retries,
                    on_start=tally.start,
                    on_done=done,
                )
        except KeyboardInterrupt:
            progress.stop()
            interrupted(
                f"{tally.done} episode(s) finished and saved in {out_dir / 'trajectories.jsonl'}"
                f"; rerun with --out {out_dir} to run the rest"
            )
        except (RuntimeError, OSError, ValueError) as exc:
            progress.stop()
            _fail(exc)
        finally:
            stop.set()
            if hasattr(make_policy, "close"):
                make_policy.close()
    summary = stats(read_trajectories(out_dir))
    out.print(_stats_table(summary))
    console.print(
        f"{tally.done} new episode(s) in {time.monotonic() - tally.started:.1f}s "
        f"→ {out_dir / 'trajectories.jsonl'}"
    )
    if summary["infra_errors"]:
        console.print("[yellow]some episodes hit infrastructure errors; rerun to retry them[/]")
        raise typer.Exit(1)


def _mode(mode: str) -> Literal["tools", "text"]:
    if mode not in ("tools", "text"):
        raise ValueError(f"--mode must be tools or text, not {mode!r}")
    return "tools" if mode == "tools" else "text"


@trajectories_app.command("stats")
def trajectories_stats(
    run_dir: Annotated[Path, typer.Argument(help="A run dir or a trajectories.jsonl file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Summarize a run: episodes, resolved rate, mean turns, errors, tokens."""
    from swe_env.rollout.export import read_trajectories, stats

    try:
        summary = stats(read_trajectories(run_dir))
    except (OSError, ValueError) as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(summary))
        return
    out.print(_stats_table(summary))
    extra = Table("submitted", "truncations", "tasks", "mixed-reward groups", "mean seconds")
    extra.add_row(
        str(summary["submitted"]),
        ", ".join(f"{k}: {v}" for k, v in summary["truncations"].items()) or "-",
        str(summary["tasks"]),
        str(summary["mixed_groups"]),
        f"{summary['mean_seconds']:.1f}",
    )
    out.print(extra)


@trajectories_app.command("export")
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
        _fail(ValueError(f"--format must be parquet or sft, not {format!r}"))
    try:
        records = read_trajectories(run_dir)
    except (OSError, ValueError) as exc:
        _fail(exc)
    kept = select(records, resolved_only=resolved_only, min_reward=min_reward)
    base = run_dir if run_dir.is_dir() else run_dir.parent
    default = "trajectories.parquet" if format == "parquet" else "sft.jsonl"
    dest = output_file(dest or base / default, "--out")
    try:
        count = write_parquet(kept, dest) if format == "parquet" else write_sft(kept, dest)
    except OSError as exc:
        _fail(f"--out {dest}: cannot be written ({exc.strerror or exc})")
    console.print(f"[green]✓[/] {count} of {len(records)} episode(s) → {dest}")
