"""SWEEnv: one software-engineering task per episode, as a ``gymnasium.Env``.

``import swe_env`` registers ``swe_env/SWE-v0`` (:data:`swe_env.ENVS`), and so does
importing this module. The environment knows no runner and no transport.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import gymnasium

from swe_env.env_config import RewardName, SWEEnvConfig
from swe_env.errors import SandboxDestroyed
from swe_env.sandbox.provider import SandboxProvider
from swe_env.spaces import UnicodeText
from swe_env.tasks.native import load_suite
from swe_env.tasks.select import select_tasks
from swe_env.tasks.spec import TaskSpec
from swe_env.tools import execute, openai_schemas, tool_instructions
from swe_env.tools.base import ToolContext

if TYPE_CHECKING:
    from swe_env.sandbox.config import DockerSandboxConfig
    from swe_env.sandbox.docker import DockerSandbox
    from swe_env.sandbox.pool import SandboxPool

ENV_ID = "swe_env/SWE-v0"
REPO = "/testbed"
DISK_CHECK_MAX_COST = 0.002
"""After each step the disk use is measured again if the last measurement took less
than this many seconds; larger layers are left to the watcher's own polling."""

__all__ = ["ENV_ID", "RewardName", "SWEEnv", "SWEEnvConfig", "UnicodeText", "compute_reward"]
__all__ += ["register"]


def compute_reward(name: RewardName, grade: Any, patch: str, task: TaskSpec) -> float:
    """Turn a Grade into the configured scalar reward (see :func:`rewards.functions.reward`)."""
    from rewards.functions import reward

    return reward(name, grade, patch, task.gold_patch)


def _disk_info(sandbox: Any) -> dict[str, Any] | None:
    """The sandbox's disk budget and how it is enforced, or ``None`` without one."""
    guard = getattr(sandbox, "disk", None)
    return None if guard is None else {"budget": guard.budget, "mode": guard.mode}


class SWEEnv(gymnasium.Env[str, Any]):
    """Gymnasium environment over a task suite.

    Actions are tool calls: a dict (``{"name": "bash", "arguments": {...}}`` or an
    OpenAI ``tool_calls`` entry) or a string in CWM's text format. Observations are
    strings. ``terminated`` is set on submit; ``truncated`` on the turn, time or token
    budget. The reward is 0 until the end, then the graded reward.

    Writing past the container's disk budget (``sandbox.disk``) is the agent's fault:
    the observation says so, the episode ends with ``terminated`` (a terminal state,
    not a time limit), ``info["termination"] == "disk_budget"`` and ``info["disk"]``,
    and the patch is not graded: the reward is that of a failure (-1 with
    ``binary_pm1``, else 0).

    Raises:
        SweEnvError: from reset/step on infrastructure faults (retry the episode).
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(
        self,
        config: SWEEnvConfig | None = None,
        render_mode: str | None = None,
        pool: SandboxPool | None = None,
        provider: SandboxProvider | None = None,
        tasks: list[TaskSpec] | None = None,
        **kwargs: Any,
    ) -> None:
        """``provider``: where sandboxes come from (for resets and grading); the caller
        owns and closes it. Without one, the env makes its own from
        ``config.sandbox`` and closes it in :meth:`close`.

        ``pool``: an optional :class:`swe_env.sandbox.pool.SandboxPool` that hands out
        pre-started fresh containers and removes them in the background; the caller
        owns and closes it (ignored with ``provider``). ``tasks``: used as is, in place
        of ``config.suite`` (a Ray node has no ``tasks/``: its jobs bring them)."""
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', not {render_mode!r}")
        self.render_mode = render_mode
        if config is not None and kwargs:
            config = config.model_copy(update=SWEEnvConfig(**kwargs).model_dump(exclude_unset=True))
        self.config = config or SWEEnvConfig(**kwargs)
        suite = self.config.suite
        if tasks is None:
            tasks = select_tasks(load_suite(suite), self.config.task_ids, suite)
        self.tasks: list[TaskSpec] = tasks
        self.observation_space = UnicodeText(max_length=10_000_000)
        self.action_space = UnicodeText(max_length=10_000_000)
        self.task: TaskSpec | None = None
        self.sandbox: DockerSandbox | None = None
        self._owns_provider = provider is None
        self._images: dict[str, str] = {}
        self._heads: dict[str, str] = {}
        self.provider = provider or SandboxProvider(self.config.sandbox, pool=pool)
        self._ctx: ToolContext | None = None
        self._turn = 0
        self._tokens = 0
        self._started = 0.0
        self._done = False

    # -- helpers ------------------------------------------------------------------------
    @property
    def pool(self) -> SandboxPool | None:
        """The provider's warm pool, if any."""
        return self.provider.pool

    @property
    def turn(self) -> int:
        """Turns taken in this episode (one forked from a snapshot counts its parent's)."""
        return self._turn

    def _image_for(self, task: TaskSpec) -> str:
        """The task's instance image, built first if missing (unless ``build_images`` is
        off), looked up once per task: tags are content hashes (an image removed since
        fails the container start as infrastructure; the retry builds it again)."""
        from swe_env.images.build import ensure_instance_image, instance_tag

        if task.full_id not in self._images:
            build = self.config.build_images
            client = self.provider.client if build else None
            tag = ensure_instance_image(task, client) if build else instance_tag(task)
            self._images[task.full_id] = tag
        return self._images[task.full_id]

    def _base_commit(self, image: str) -> str:
        """The repository's HEAD in ``image`` (one commit: it never changes for a tag)."""
        if image not in self._heads:
            assert self.sandbox is not None
            head = self.sandbox.run(f"git -C {REPO} rev-parse HEAD", timeout=30)
            if head.exit_code != 0:
                return "HEAD"
            self._heads[image] = head.output.strip().splitlines()[-1]
        return self._heads[image]

    def _budget(self) -> str:
        parts = [f"remaining turns: {self.config.max_turns - self._turn}"]
        if self.config.max_tokens:
            parts.append(f"remaining tokens: {max(0, self.config.max_tokens - self._tokens)}")
        return "\n<budget>" + "; ".join(parts) + "</budget>"

    def _first_observation(self, task: TaskSpec) -> str:
        return (
            f"{task.problem_statement.strip()}\n\n"
            f"The repository is checked out at {REPO} (your shell starts there). Fix the "
            "issue above by editing the source files; the hidden tests will check your "
            "change. When you are done, call submit.\n\n"
            f"{tool_instructions(self.config.tool_format)}"
        )

    # -- gymnasium API --------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        self._close_sandbox()
        task, image, config, forked = self._choose(options)
        started = time.monotonic()
        if forked is None:
            image = self._image_for(task)
            if more := int(options.get("expect") or 0):  # this many more of the task follow
                self.provider.expect(image, more + 1, task=task.full_id)
        episode = uuid.uuid4().hex[:12] if forked else None  # a snapshot's: never pooled
        self.sandbox = self.provider.acquire(image, config, task=task.full_id, episode=episode)
        base_commit = forked.pop("base_commit") if forked else self._base_commit(image)
        self.task = task
        timeout = self.config.sandbox.command_timeout
        self._ctx = ToolContext(base_commit=base_commit, repo_root=REPO, command_timeout=timeout)
        self._turn = forked["step"] if forked else 0
        self._started = time.monotonic()
        self._done = False
        obs = self._first_observation(task)
        self._tokens = len(obs) // 4
        if self.config.budget_note:
            obs += self._budget()
        info = {
            "task_id": task.full_id,
            "base_commit": base_commit,
            "image": image,
            "episode": self.sandbox.labels.get("swe-env.episode", ""),
            "tools": openai_schemas(),
            "disk": _disk_info(self.sandbox),
            "timings": {"reset": time.monotonic() - started},
        }
        if forked:
            info["forked_from"] = forked
        return obs, info

    def _choose(
        self, options: dict[str, Any]
    ) -> tuple[TaskSpec, str, DockerSandboxConfig, dict[str, Any] | None]:
        """The task, image and sandbox config of the next episode, and where it was
        forked from (with the parent's base commit) when ``options["snapshot"]`` is set."""
        wanted = options.get("task_id")
        if options.get("snapshot"):
            from swe_env.env_fork import LABEL_BASE, origin, resolve
            from swe_env.sandbox.snapshot import start_config

            image = str(options["snapshot"])
            task, labels = resolve(self, image, wanted)
            forked = origin(image, labels)
            forked["base_commit"] = labels.get(LABEL_BASE) or "HEAD"
            return task, image, start_config(self.config.sandbox, labels), forked
        if wanted:
            matches = [t for t in self.tasks if wanted in (t.id, t.full_id)]
            if not matches:
                raise ValueError(f"unknown task_id {wanted!r}")
            task = matches[0]
        else:
            task = self.tasks[int(self.np_random.integers(len(self.tasks)))]
        return task, "", self.config.sandbox, None

    # -- snapshot and fork (see swe_env.env_fork) -------------------------------------------
    def snapshot(self) -> str:
        """Commit the episode's files, working directory and exported environment as a
        snapshot image; returns its id, for ``reset(options={"snapshot": id})``.

        A snapshot does **not** keep running processes (servers, background jobs) nor
        the shell's unexported variables, functions and options. This env holds the
        snapshot until :meth:`close` (a reset keeps it), then it is removed unless a
        fork still holds it.

        Raises:
            RuntimeError: no episode is running.
            SandboxError: the shell's state could not be read or the engine refused.
        """
        from swe_env.env_fork import snapshot

        return snapshot(self)

    def fork(self, k: int) -> list[SWEEnv]:
        """``k`` independent environments started from a new snapshot of this episode
        (same task, files, working directory, exported environment and turn count),
        each with its own container. Close them (the snapshot goes with the last of
        them and this env).

        Raises:
            ValueError: ``k`` < 1.
            SweEnvError: a snapshot or a reset failed (the forks made so far are closed).
        """
        from swe_env.env_fork import fork

        return fork(self, k)

    def snapshots(self) -> list[str]:
        """The snapshots this env holds (taken by it, or the one it was forked from)."""
        from swe_env.sandbox.snapshot import HOLDS

        return HOLDS.held(self)

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.sandbox is None or self.task is None or self._ctx is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode is over; call reset()")
        self._turn += 1
        t0 = time.monotonic()
        try:
            result = execute(self.sandbox, action, self._ctx)
        except SandboxDestroyed as exc:
            return self._destroyed(exc)
        timings = {"tool": time.monotonic() - t0}
        # Timings go into info only at the end of the episode: per-step info must be
        # deterministic for a given seed and action (gymnasium's env checker compares it).
        self._tokens += (len(action) if isinstance(action, str) else len(str(action))) // 4
        self._tokens += len(result.output) // 4
        info: dict[str, Any] = {
            "task_id": self.task.full_id,
            "turn": self._turn,
            "ok": result.ok,
            "error_kind": result.error_kind,
        }
        terminated = result.done
        truncated = False
        if not terminated:
            if self._turn >= self.config.max_turns:
                truncated, info["truncation"] = True, "max_turns"
            elif time.monotonic() - self._started > self.config.max_seconds:
                truncated, info["truncation"] = True, "max_seconds"
            elif self.config.max_tokens and self._tokens >= self.config.max_tokens:
                truncated, info["truncation"] = True, "max_tokens"
        reward = 0.0
        obs = result.output
        overrun = self._disk_overrun(final=terminated or truncated)
        if overrun is not None:
            obs = f"{obs}\n[{overrun}. The episode is over.]"
            terminated, truncated = True, False
            info.pop("truncation", None)
            info["termination"] = "disk_budget"
            info["disk"] = self.sandbox.disk.status().as_dict()
            reward = -1.0 if self.config.reward == "binary_pm1" else 0.0
        if terminated or truncated:
            info["timings"] = timings
        if overrun is None and (terminated or (truncated and self.config.grade_on_truncation)):
            patch = result.patch if terminated else self._current_patch()
            reward = self._grade(patch or "", info)
        if terminated or truncated:
            self._done = True
            timings["episode"] = time.monotonic() - self._started
        elif self.config.budget_note:
            obs += self._budget()
        return obs, reward, terminated, truncated, info

    def _destroyed(self, exc: SandboxDestroyed) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """The agent's commands destroyed the container: the episode ends as its failure
        (nothing left to grade), never as an infrastructure fault to retry."""
        assert self.task is not None
        self._done = True
        info = {"task_id": self.task.full_id, "turn": self._turn, "ok": False}
        info |= {"error_kind": "sandbox_destroyed", "termination": "sandbox_destroyed"}
        info["timings"] = {"episode": time.monotonic() - self._started}
        reward = -1.0 if self.config.reward == "binary_pm1" else 0.0
        return f"{exc}. The episode is over.", reward, True, False, info

    def _disk_overrun(self, final: bool) -> str | None:
        """Why the container's disk budget was crossed, or ``None``.

        Mid-episode the layer is measured again only when that is cheap (the watcher
        covers the rest); at the end of the episode, always."""
        guard = getattr(self.sandbox, "disk", None)
        if guard is None:
            return None
        guard.check(max_cost=None if final else DISK_CHECK_MAX_COST)
        return guard.message()

    def _current_patch(self) -> str:
        from swe_env.tools import TOOLS

        assert self._ctx is not None
        return TOOLS["submit"](self.sandbox, {}, self._ctx).patch or ""

    def _grade(self, patch: str, info: dict[str, Any]) -> float:
        from rewards.grade import grade

        assert self.task is not None
        t0 = time.monotonic()
        result = grade(
            self.task,
            patch,
            timeout=self.config.grade_timeout,
            sandbox_config=self.config.sandbox.model_copy(update={"network": False}),
            provider=self.provider,
        )
        info["timings"]["grade"] = time.monotonic() - t0
        info["patch"] = patch
        info["grade"] = result.model_dump()
        if result.status == "env_error":
            # The harness could not run: no verdict on the agent. Runners mask the episode.
            info["env_error"] = result.error or "the test harness could not run"
            return 0.0
        return compute_reward(self.config.reward, result, patch, self.task)

    def render(self) -> str | None:
        if self.task is None:
            return None
        return f"[{self.task.full_id}] turn {self._turn}/{self.config.max_turns}"

    def _close_sandbox(self) -> None:
        if self.sandbox is not None:
            sandbox, self.sandbox = self.sandbox, None
            self.provider.release(sandbox)

    def close(self) -> None:
        """Free the container (and the provider the env made). Safe to call more than once."""
        try:
            self._close_sandbox()
            if self.provider.connected:
                from swe_env.env_fork import release

                release(self)
        finally:
            if self._owns_provider:
                self.provider.close()
        super().close()


def register() -> None:
    """Register every id of :data:`swe_env.ENVS` with Gymnasium (idempotent)."""
    from swe_env import register_envs

    register_envs()


register()
