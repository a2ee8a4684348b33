"""TRL: swe-env episodes as ``GRPOTrainer`` rollouts (``rollout_func``) or tools
(``environment_factory``).

``rollout_func`` (:func:`make_rollout_func`): TRL hands over the batch's prompts, each
already repeated ``num_generations`` times, and expects one completion per row. Each row
becomes one full swe-env episode of the task the prompt names (:func:`swe_dataset`
makes the rows), run in parallel threads with the usual infrastructure retries. Every
episode is flattened by :func:`~swe_env.integrations.tokens.flatten`: ``completion_ids``
is every turn after the first prompt, the model's ids with ``env_mask`` 1 and the
environment's with 0, and ``logprobs`` the sampled ones (0.0 under mask 0). Per-row
extras (``reward``, ``resolved``, ``task_id``, ``status``, ``turns``) reach the reward
functions as keyword arguments; :func:`swe_reward` returns the graded reward, and
``None`` for an episode lost to an infrastructure fault, which TRL then leaves out.

``environment_factory`` (:class:`SWEToolEnv`): TRL's own tool loop drives a SWEEnv
through typed ``bash``/``edit``/``create``/``submit`` methods; ``get_reward`` grades.

Imports TRL nowhere: the trainer is only passed in. ``datasets`` is imported by
:func:`swe_dataset` when called.
"""

from __future__ import annotations

import atexit
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from swe_env.env import SWEEnv
from swe_env.env_config import SWEEnvConfig
from swe_env.integrations.tokens import FlatEpisode, flatten
from swe_env.policy.config import AgentConfig
from swe_env.rollout.config import RayRunnerConfig
from swe_env.rollout.episode import run_with_retries
from swe_env.rollout.trajectory import Trajectory
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.native import load_suite
from swe_env.tasks.spec import TaskSpec

__all__ = ["SWEToolEnv", "make_rollout_func", "prompt_text", "swe_dataset", "swe_reward"]

MakePolicy = Callable[[TaskSpec, int, Any], Any]
"""``make_policy(task, sample, trainer)``: the policy of one episode (it must report
token ids: a vLLM-served chat policy with ``vllm_token_ids``, or
:class:`~swe_env.integrations.hf_policy.TransformersPolicy` on the trainer's model)."""

_PROVIDER: SandboxProvider | None = None
_PROVIDER_LOCK = threading.Lock()


def shared_provider() -> SandboxProvider:
    """One sandbox provider per process (closed at exit): TRL builds many envs and
    gives them no close hook."""
    global _PROVIDER
    with _PROVIDER_LOCK:
        if _PROVIDER is None:
            _PROVIDER = SandboxProvider()
            atexit.register(_PROVIDER.close)
        return _PROVIDER


def prompt_text(prompt: Any) -> str:
    """The text of a TRL prompt row: a string, or the last user message's content."""
    if isinstance(prompt, str):
        return prompt
    users = [m for m in prompt if m.get("role") == "user"]
    return str(users[-1]["content"]) if users else ""


def _task_prompt(task: TaskSpec) -> str:
    return f"Task {task.full_id}\n\n{task.problem_statement.strip()}"


def swe_dataset(tasks: Sequence[TaskSpec] | str) -> Any:
    """A ``datasets.Dataset`` with one row per task: ``prompt`` (a user message naming
    the task) and ``task_id``; pass it as ``train_dataset``."""
    import datasets

    tasks = load_suite(tasks) if isinstance(tasks, str) else list(tasks)
    rows = [
        {"prompt": [{"role": "user", "content": _task_prompt(t)}], "task_id": t.full_id}
        for t in tasks
    ]
    return datasets.Dataset.from_list(rows)


def swe_reward(completions: Any, reward: Sequence[float | None], **_: Any) -> list[float | None]:
    """The reward function for ``rollout_func`` rows: the graded reward of each
    episode, ``None`` (left out) where infrastructure lost it."""
    return list(reward)


def _placeholder(traj: Trajectory, trainer: Any, prompt: Any) -> FlatEpisode:
    """A row for an episode with no usable tokens (infrastructure lost it): one token,
    masked, so it carries no gradient; its reward is ``None``."""
    tok = getattr(trainer, "processing_class", None)
    ids = list(tok.encode(prompt_text(prompt))) if tok is not None else [0]
    pad = getattr(tok, "eos_token_id", 0) or 0
    return FlatEpisode(prompt_ids=ids or [pad], completion_ids=[pad], env_mask=[0], logprobs=[0.0])


def make_rollout_func(
    tasks: Sequence[TaskSpec] | str,
    make_policy: MakePolicy,
    *,
    env: SWEEnvConfig | None = None,
    agent: AgentConfig | None = None,
    concurrency: int = 2,
    retries: int = 2,
    ray: RayRunnerConfig | None = None,
    on_episode: Callable[[Trajectory, FlatEpisode], None] = lambda traj, flat: None,
) -> Callable[[list[Any], Any], dict[str, list[Any]]]:
    """A ``rollout_func(prompts, trainer)`` for ``GRPOTrainer`` over ``tasks``.

    The episodes run in ``concurrency`` threads here, or, with ``ray``, on swe-env's
    Ray runner (its cluster, its per-node limits, its worker-loss recovery); there
    ``make_policy`` runs in the workers and gets ``trainer=None`` (the trainer stays in
    this process: give the workers a policy on your vLLM server).

    Raises (from the returned function):
        KeyError: a prompt names no task of ``tasks``.
        RetokenizedHistory, MissingTokens: a completed episode's ids cannot be trusted.
    """
    tasks = load_suite(tasks) if isinstance(tasks, str) else tasks
    by_prompt = {_task_prompt(t): t for t in tasks}
    config = env or SWEEnvConfig()
    if ray is not None:
        return _ray_rollout(by_prompt, make_policy, config, agent, retries, ray, on_episode)

    def episode(task: TaskSpec, sample: int, trainer: Any) -> Trajectory:
        return run_with_retries(
            lambda: SWEEnv(config, provider=shared_provider()),
            lambda: make_policy(task, sample, trainer),
            task.full_id, sample=sample, retries=retries, agent=agent,
        )  # fmt: skip

    def rollout_func(prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
        rows, seen = [], {}
        for prompt in prompts:
            task = by_prompt[prompt_text(prompt)]
            seen[task.full_id] = seen.get(task.full_id, -1) + 1
            rows.append((task, seen[task.full_id]))
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            trajs = list(pool.map(lambda row: episode(*row, trainer), rows))
        return _rows(trajs, prompts, trainer, on_episode)

    return rollout_func


def _ray_rollout(
    by_prompt: dict[str, TaskSpec],
    make_policy: MakePolicy,
    config: SWEEnvConfig,
    agent: AgentConfig | None,
    retries: int,
    ray: RayRunnerConfig,
    on_episode: Callable[[Trajectory, FlatEpisode], None],
) -> Callable[[list[Any], Any], dict[str, list[Any]]]:
    """The rollout function over :class:`~swe_env.rollout.ray_runner.RayRunner`: each
    batch is its tasks times the rows per task (GRPO repeats every prompt equally)."""
    from swe_env.rollout.ray_runner import RayRunner

    runner = RayRunner(
        config, partial(_worker_policy, make_policy), agent=agent, retries=retries, ray_config=ray
    )

    def rollout_func(prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
        rows = [by_prompt[prompt_text(p)] for p in prompts]
        counts = Counter(t.full_id for t in rows)
        if len(set(counts.values())) != 1:
            raise ValueError(f"the Ray path needs equal rows per task, got {dict(counts)}")
        unique = list({t.full_id: t for t in rows}.values())
        with tempfile.TemporaryDirectory(prefix="swe-env-rollout-") as out:
            done = runner.run(unique, Path(out), samples=next(iter(counts.values())))
        by_job = {(t.task_id, t.sample): t for t in done}
        seen: Counter[str] = Counter()
        trajs = []
        for task in rows:
            trajs.append(by_job[(task.full_id, seen[task.full_id])])
            seen[task.full_id] += 1
        return _rows(trajs, prompts, trainer, on_episode)

    return rollout_func


def _worker_policy(make_policy: MakePolicy, task: TaskSpec, sample: int = 0) -> Any:
    """``make_policy`` as the Ray workers call it: no trainer there."""
    return make_policy(task, sample, None)


def _rows(
    trajs: list[Trajectory],
    prompts: list[Any],
    trainer: Any,
    on_episode: Callable[[Trajectory, FlatEpisode], None],
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {k: [] for k in ("prompt_ids", "completion_ids", "logprobs")}
    for key in ("env_mask", "reward", "resolved", "task_id", "status", "turns"):
        out[key] = []
    for traj, prompt in zip(trajs, prompts, strict=True):
        usable = traj.status == "ok" and traj.steps
        flat = flatten(traj.steps) if usable else _placeholder(traj, trainer, prompt)
        on_episode(traj, flat)
        out["prompt_ids"].append(flat.prompt_ids)
        out["completion_ids"].append(flat.completion_ids)
        out["logprobs"].append(flat.logprobs or [0.0] * len(flat.completion_ids))
        out["env_mask"].append(flat.env_mask)
        out["reward"].append(traj.reward if usable else None)
        out["resolved"].append(traj.resolved)
        out["task_id"].append(traj.task_id)
        out["status"].append(traj.status)
        out["turns"].append(traj.turns)
    return out


class SWEToolEnv:
    """A swe-env episode as TRL ``environment_factory`` tools.

    TRL calls ``reset(**row)`` with the dataset row (its ``task_id`` picks the task),
    exposes every public method but ``reset`` and ``get_reward`` as a tool, and calls
    ``get_reward()`` once the rollout ends. The container is released there (and at
    the next reset), since TRL pools environments and never closes them.
    """

    def __init__(self, suite: str = "demo", **env_kwargs: Any) -> None:
        self._env = SWEEnv(suite=suite, provider=shared_provider(), **env_kwargs)
        self._reward: float | None = None
        self.last_reward: float | None = None
        """The last graded reward (what ``get_reward`` returned), for inspection."""

    def reset(self, task_id: str | None = None, **row: Any) -> str:
        self._env.close()
        self._reward = None
        obs, _ = self._env.reset(options={"task_id": task_id} if task_id else None)
        return obs

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        if self._reward is not None:
            return "The episode is over (submitted); no more tool calls are run."
        obs, reward, terminated, truncated, _ = self._env.step(
            {"name": name, "arguments": arguments}
        )
        if terminated or truncated:
            self._reward = float(reward)
        return obs

    def bash(self, command: str) -> str:
        """Run a shell command in the repository's container (a persistent bash: the
        working directory and variables carry over between calls).

        Args:
            command: The command line to run.

        Returns:
            The command's output (stdout and stderr) and its exit status.
        """
        return self._call("bash", {"command": command})

    def edit(self, path: str, old_str: str, new_str: str) -> str:
        """Replace one exact occurrence of a text in a file.

        Args:
            path: The file to change.
            old_str: The exact text to replace (it must occur once).
            new_str: The text to put in its place.

        Returns:
            What changed, with line numbers, or why nothing did.
        """
        return self._call("edit", {"path": path, "old_str": old_str, "new_str": new_str})

    def create(self, path: str, content: str) -> str:
        """Create a file (or overwrite one) with the given content.

        Args:
            path: The file to create.
            content: The full content of the file.

        Returns:
            A confirmation, or why the file could not be written.
        """
        return self._call("create", {"path": path, "content": content})

    def submit(self) -> str:
        """Submit the repository's current changes as the solution and end the episode.

        Returns:
            The grading outcome.
        """
        return self._call("submit", {})

    def get_reward(self) -> float:
        """The graded reward (submitting the current changes if the model did not), then
        the container is released."""
        try:
            if self._reward is None:
                self._call("submit", {})
            self.last_reward = float(self._reward or 0.0)
            return self.last_reward
        finally:
            self._env.close()
