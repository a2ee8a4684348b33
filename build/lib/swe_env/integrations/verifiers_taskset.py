"""The verifiers (v1) classes: a ``Taskset`` of swe-env tasks and its ``Task``, whose
reward grades the container's diff with ``rewards.grade``. Imports verifiers: reach these
through :mod:`swe_env.integrations.verifiers_env`, which imports this module lazily.

Checked against verifiers 0.4.0 (``verifiers.v1``: ``Taskset.load``, ``Task.setup``,
``Task.validate``, ``@reward``, ``TaskData.image``/``workdir``, ``Runtime.run``).
"""

from __future__ import annotations

from collections.abc import Iterator

import verifiers.v1 as vf
from pydantic import Field

from rewards.functions import RewardName
from swe_env.integrations.verifiers_support import (
    REPO,
    build_images,
    patch_command,
    run_score,
    select,
    task_data,
)
from swe_env.tasks import find_task


class SweEnvState(vf.State):
    """What a rollout keeps: the repository's commit before the agent ran."""

    base_commit: str | None = None


class SweEnvTaskData(vf.TaskData):
    """A swe-env task: ``id`` is its ``suite/id``, ``image`` its instance image."""


class SweEnvTaskConfig(vf.TaskConfig):
    reward_name: RewardName = "binary"
    """Which of swe-env's rewards (``rewards.functions``) the grade maps to."""
    grade_timeout: float = Field(600.0, gt=0)
    """Timeout of the hidden test run, in seconds."""


class SweEnvTask(vf.Task[SweEnvTaskData, SweEnvState, SweEnvTaskConfig]):
    """One swe-env task in its instance image; the reward is the graded diff."""

    NEEDS_CONTAINER = True

    @property
    def task_id(self) -> str:
        """The swe-env task (``suite/id``) this task runs."""
        if not self.data.id:
            raise vf.TaskError("a swe-env task needs its suite/id as TaskData.id")
        return self.data.id

    async def setup(self, trace: vf.Trace, runtime: vf.Runtime) -> None:
        """Record the base commit before the agent can move ``HEAD``."""
        head = await runtime.run(
            ["git", "-c", "safe.directory=*", "-C", REPO, "rev-parse", "HEAD"], {}
        )
        if head.exit_code != 0:
            raise vf.TaskError(f"no git repository in {REPO}: {head.stderr.strip()}")
        trace.state.base_commit = head.stdout.strip()

    async def patch(self, trace: vf.Trace, runtime: vf.Runtime) -> str:
        """The working tree's diff against the base commit (``submit``'s diff)."""
        base = getattr(trace.state, "base_commit", None) or "HEAD"
        result = await runtime.run(patch_command(base), {})
        if result.exit_code != 0:
            raise vf.TaskError(f"git could not compute the diff: {result.stderr.strip()}")
        return result.stdout

    @vf.reward
    async def resolved(self, trace: vf.Trace, runtime: vf.Runtime) -> float:
        """The diff graded in a fresh container by ``rewards.grade``."""
        patch = await self.patch(trace, runtime)
        return await self.grade(patch)

    async def grade(self, patch: str) -> float:
        """Grade ``patch`` for this task (blocking work off the event loop)."""
        timeout = self.config.grade_timeout
        return await run_score(self.task_id, patch, self.config.reward_name, timeout)

    async def validate(self, runtime: vf.Runtime) -> bool | None:
        """The gold patch resolves the task (``None`` when the task has none)."""
        gold = find_task(self.task_id).gold_patch
        if not gold:
            return None
        return await self.grade(gold) == 1.0


class SweEnvTasksetConfig(vf.TasksetConfig):
    task: SweEnvTaskConfig = SweEnvTaskConfig()
    suite: str = "demo"
    """A suite name under the tasks root, or a suite directory."""
    tasks: list[str] | None = None
    """Only these task ids (``id`` or ``suite/id``); default: the whole suite."""
    build_images: bool = True
    """Build missing instance images when the taskset loads (verifiers only starts
    images; it builds none)."""


class SweEnvTaskset(vf.Taskset[SweEnvTask, SweEnvTasksetConfig]):
    """swe-env tasks for verifiers, each in its instance image."""

    def load(self) -> Iterator[SweEnvTask]:
        specs = select(self.config.suite, self.config.tasks)
        if self.config.build_images:
            build_images(specs)
        for spec in specs:
            yield SweEnvTask(SweEnvTaskData(**task_data(spec)), self.config.task)
