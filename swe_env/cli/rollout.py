"""``swe-env rollout``: episodes at scale, locally or on Ray, from flags or ``--config``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from swe_env.cli.common import (
    ConfigOpt,
    SuiteOpt,
    TaskOpt,
    build_with_progress,
    console,
    engine,
    episode_errors,
    fail,
    out,
    output_dir,
    progress,
    select_or_exit,
)
from swe_env.cli.config import POLICIES, default, finish_config, given, read_config, set_path
from swe_env.cli.config import switch as switch_kind
from swe_env.cli.trajectories import stats_table
from swe_env.env_config import SWEEnvConfig
from swe_env.policy.config import AgentConfig, PolicyConfig, SamplingParams
from swe_env.rollout.config import LocalRunnerConfig, RolloutConfig

if TYPE_CHECKING:
    from swe_env.tasks.spec import TaskSpec

FLAGS = {
    "suite": "env.suite",
    "task": "env.task_ids",
    "max_turns": "env.max_turns",
    "max_seconds": "env.max_seconds",
    "context_tokens": "agent.context_tokens",
    "budget_note": "agent.budget_note",
    "strict": "agent.strict_format",
    "samples": "samples",
    "retries": "retries",
}
"""Flags that set one field of :class:`RolloutConfig`, whatever the policy and runner."""
POLICY_FLAGS = {
    "base_url": "base_url",
    "model": "model",
    "api_key": "api_key",
    "mode": "mode",
    "temperature": "sampling.temperature",
    "top_p": "sampling.top_p",
    "max_tokens": "sampling.max_tokens",
    "seed": "sampling.seed",
    "vllm_token_ids": "vllm_token_ids",
    "request_timeout": "timeout",
    "request_retries": "retries",
}
"""Flags of the openai policy (``policy.…``); the replay policy has none."""


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


def _opt(help: str, *names: str) -> Any:
    return typer.Option(*names, help=help)


PolicyOpt = Annotated[str, _opt("openai: a model behind an OpenAI-compatible server; replay.")]
BaseUrlOpt = Annotated[str, _opt("The server's API root, e.g. http://HOST:8000/v1.")]
ModelOpt = Annotated[str | None, _opt("Model name on the server.")]
ApiKeyOpt = Annotated[str | None, _opt("Bearer token (default: $SWE_ENV_API_KEY/$OPENAI_API_KEY).")]
ModeOpt = Annotated[str, _opt("tools: native function calls; text: CWM <tool: …> tags.")]
MaxTokensOpt = Annotated[int, _opt("Completion tokens per turn.")]
SeedOpt = Annotated[int | None, _opt("Base seed (plus the sample index).")]
SamplesOpt = Annotated[int, _opt("Episodes per task (a GRPO group).")]
ConcurrencyOpt = Annotated[int, _opt("Episodes at once (with Ray: per node).")]
MaxTurnsOpt = Annotated[int, _opt("Turn budget per episode.")]
MaxSecondsOpt = Annotated[float, _opt("Wall-clock budget per episode.")]
ContextOpt = Annotated[int | None, _opt("Context budget per episode, in tokens.")]
BudgetNoteOpt = Annotated[bool, _opt("Show remaining turns/context in a <budget> note.")]
StrictOpt = Annotated[bool, _opt("End an episode at its first malformed action.")]
TokenIdsOpt = Annotated[bool, _opt("Ask vLLM for exact completion and prompt token ids.")]
RequestTimeoutOpt = Annotated[float, _opt("Seconds per model request.")]
RequestRetriesOpt = Annotated[int, _opt("Retries of a model request (429, 5xx, timeouts).")]
RetriesOpt = Annotated[int, _opt("Reruns of an episode hit by an infrastructure fault.")]
RayOpt = Annotated[bool, _opt("Run on a local Ray cluster.", "--ray")]
RayAddressOpt = Annotated[str | None, _opt("Join this Ray cluster (implies --ray).")]
RayResourceOpt = Annotated[
    str | None, _opt("Only Ray nodes with this resource run episodes (swe-env cluster: swe_env).")
]
OutOpt = Annotated[Path | None, _opt("Output dir (default runs/rollout-<time>).", "--out")]


def rollout(
    ctx: typer.Context,
    config_file: ConfigOpt = None,
    suite: SuiteOpt = default(SWEEnvConfig, "suite"),
    task: TaskOpt = None,
    policy: PolicyOpt = "openai",
    base_url: BaseUrlOpt = default(PolicyConfig, "base_url"),
    model: ModelOpt = None,
    api_key: ApiKeyOpt = None,
    mode: ModeOpt = default(PolicyConfig, "mode"),
    temperature: float = default(SamplingParams, "temperature"),
    top_p: float = default(SamplingParams, "top_p"),
    max_tokens: MaxTokensOpt = default(SamplingParams, "max_tokens"),
    seed: SeedOpt = None,
    samples: SamplesOpt = default(RolloutConfig, "samples"),
    concurrency: ConcurrencyOpt = default(LocalRunnerConfig, "concurrency"),
    max_turns: MaxTurnsOpt = default(SWEEnvConfig, "max_turns"),
    max_seconds: MaxSecondsOpt = default(SWEEnvConfig, "max_seconds"),
    context_tokens: ContextOpt = default(AgentConfig, "context_tokens"),
    budget_note: BudgetNoteOpt = default(AgentConfig, "budget_note"),
    strict: StrictOpt = default(AgentConfig, "strict_format"),
    vllm_token_ids: TokenIdsOpt = default(PolicyConfig, "vllm_token_ids"),
    request_timeout: RequestTimeoutOpt = default(PolicyConfig, "timeout"),
    request_retries: RequestRetriesOpt = default(PolicyConfig, "retries"),
    retries: RetriesOpt = default(RolloutConfig, "retries"),
    use_ray: RayOpt = False,
    ray_address: RayAddressOpt = None,
    ray_resource: RayResourceOpt = None,
    out_dir: OutOpt = None,
) -> None:
    """Roll out a policy on a suite: K samples per task, streamed to OUT/trajectories.jsonl.

    Rerunning with the same --out resumes: finished (task, sample) pairs are skipped.
    The run's config is written to OUT/config.yaml; `--config OUT/config.yaml` reruns it.
    """
    config = resolve(config_file, given(ctx))
    tasks = select_or_exit(config.env.suite, config.env.task_ids)
    if config.policy.type == "replay" and any(not t.gold_patch for t in tasks):
        fail(ValueError("--policy replay needs a gold patch in every task"))
    default_out = Path("runs") / time.strftime("rollout-%Y%m%d-%H%M%S")
    out_dir = output_dir(out_dir or default_out, "--out")
    config.write(out_dir / "config.yaml")
    build_with_progress(tasks, engine())
    tally = execute(config, tasks, out_dir)
    report(out_dir, tally)


def resolve(config_file: Path | None, flags: dict[str, Any]) -> RolloutConfig:
    """The run's config: ``rollout``'s defaults, then the file, then the flags given."""
    data = read_config(config_file, {"policy": {"type": "openai"}})
    kind = flags.get("policy", (data.get("policy") or {}).get("type", "openai"))
    if kind not in POLICIES:
        fail(ValueError(f"unknown policy {kind!r}; available: {', '.join(POLICIES)}"))
    switch_kind(data, "policy", kind)
    for name, path in FLAGS.items():
        if name in flags:
            set_path(data, path, flags[name])
    for name, path in POLICY_FLAGS.items():
        if name in flags and kind == "openai":
            set_path(data, f"policy.{path}", flags[name])
    if kind == "openai" and not data["policy"].get("model"):
        fail(ValueError("--model is required with --policy openai"))
    if flags.get("use_ray") or flags.get("ray_address"):
        switch_kind(data, "runner", "ray")
    if flags.get("ray_address"):
        data["runner"]["address"] = flags["ray_address"]
    if flags.get("ray_resource"):
        switch_kind(data, "runner", "ray")
        data["runner"]["node_resource"] = flags["ray_resource"]
    if "concurrency" in flags:
        ray = (data.get("runner") or {}).get("type") == "ray"
        if not ray:
            switch_kind(data, "runner", "local")  # keeps a local runner's other settings
        set_path(data, "runner.per_node" if ray else "runner.concurrency", flags["concurrency"])
    return finish_config(data, config_file)


def make_policy_factory(config: RolloutConfig) -> Any:
    """What makes one policy per episode: the replay policy, or a client of the server."""
    from swe_env.policy.replay import ReplayPolicy
    from swe_env.rollout.agent import ChatPolicyFactory

    if config.policy.type == "replay":
        return ReplayPolicy
    return ChatPolicyFactory(config.policy, config.agent)


def run_episodes(
    config: RolloutConfig, tasks: list[TaskSpec], out_dir: Path, make_policy: Any, **hooks: Any
) -> list[Any]:
    """Run every (task, sample) on the configured runner; ``hooks``: on_start, on_done."""
    runner = config.runner
    if runner.type == "ray":
        from swe_env.rollout.ray_runner import RayRunner

        ray = RayRunner(
            config.env, make_policy, agent=config.agent, retries=config.retries, ray_config=runner
        )
        return ray.run(tasks, out_dir, samples=config.samples, **hooks)
    from swe_env.rollout.local import run_local

    return run_local(
        config.env,
        tasks,
        make_policy,
        out_dir,
        samples=config.samples,
        concurrency=runner.concurrency,
        warm_pool=runner.warm_pool,
        agent=config.agent,
        retries=config.retries,
        **hooks,
    )


def execute(config: RolloutConfig, tasks: list[TaskSpec], out_dir: Path) -> _Tally:
    """Run with a live progress bar; Ctrl-C exits 130 (finished episodes are kept)."""
    make_policy = make_policy_factory(config)
    tally = _Tally()
    with progress() as bars:
        bar = bars.add_task("episodes", total=len(tasks) * config.samples, note="")
        stop = threading.Event()

        def done(traj: Any) -> None:
            tally.finish(traj)
            bars.update(bar, advance=1, note=tally.note())

        def refresh() -> None:  # keeps running counts and the rate current
            while not stop.wait(1.0):
                bars.update(bar, note=tally.note())

        threading.Thread(target=refresh, daemon=True).start()
        try:
            with episode_errors(bars, out_dir, lambda: tally.done):
                run_episodes(
                    config, tasks, out_dir, make_policy, on_start=tally.start, on_done=done
                )
        finally:
            stop.set()
            if hasattr(make_policy, "close"):
                make_policy.close()
    return tally


def report(out_dir: Path, tally: _Tally) -> None:
    """The run's summary table; exit 1 if any episode hit an infrastructure error."""
    from swe_env.rollout.export import read_trajectories, stats

    summary = stats(read_trajectories(out_dir))
    out.print(stats_table(summary))
    console.print(
        f"{tally.done} new episode(s) in {time.monotonic() - tally.started:.1f}s "
        f"→ {out_dir / 'trajectories.jsonl'}"
    )
    if summary["infra_errors"]:
        console.print("[yellow]some episodes hit infrastructure errors; rerun to retry them[/]")
        raise typer.Exit(1)
