"""Snapshot and fork of a live :class:`~swe_env.env.SWEEnv` episode.

:func:`snapshot` commits the episode's container as an image (see
:mod:`swe_env.sandbox.snapshot`: files, the shell's working directory and exported
environment; **not running processes**). ``reset(options={"snapshot": id})`` starts an
episode of the same task from it, and :func:`fork` gives k independent environments
from the current state, each with its own container.

Who removes a snapshot: the environment that took it and every environment
:func:`fork` made from it *hold* it (:data:`~swe_env.sandbox.snapshot.HOLDS`); it is
removed when the last of them is closed, not at the next reset (so that an environment
can go back to it). An environment reset from a snapshot id it was handed does not hold
it: the snapshot stays the caller's. Whatever a killed process leaves, `swe-env gc`
removes (the owner is dead).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from swe_env.sandbox import snapshot as snap
from swe_env.sandbox.docker import LABEL_PREFIX

if TYPE_CHECKING:
    from swe_env.tasks.spec import TaskSpec

SWEEnv = Any
"""A :class:`swe_env.env.SWEEnv` (not imported: the env imports this module)."""

LABEL_EPISODE = f"{LABEL_PREFIX}.episode"
LABEL_TASK = f"{LABEL_PREFIX}.task"
LABEL_STEP = f"{snap.LABEL_SNAPSHOT}.step"
LABEL_BASE = f"{snap.LABEL_SNAPSHOT}.base-commit"
MAX_PARALLEL_STARTS = 8


def episode_of(env: SWEEnv) -> str:
    """The episode label of ``env``'s container ("" before reset)."""
    return env.sandbox.labels.get(LABEL_EPISODE, "") if env.sandbox is not None else ""


def snapshot(env: SWEEnv) -> str:
    """Commit ``env``'s episode as a snapshot that ``env`` holds; returns its id.

    Raises:
        RuntimeError: no episode is running (call reset first).
        SandboxError: the shell's state could not be read or the engine refused.
    """
    if env.sandbox is None or env.task is None or env._ctx is None:
        raise RuntimeError("call reset() before snapshot()")
    labels = {
        LABEL_EPISODE: episode_of(env),
        LABEL_TASK: env.task.full_id,
        LABEL_STEP: str(env._turn),
        LABEL_BASE: env._ctx.base_commit,
    }
    image = snap.take(env.provider.client, env.sandbox, labels)
    snap.HOLDS.hold(image, env)
    return image


def resolve(env: SWEEnv, image: str, task_id: str | None) -> tuple[TaskSpec, dict[str, str]]:
    """The task of snapshot ``image`` and its labels.

    Raises:
        ValueError: not a snapshot of ours, a task outside ``env.tasks``, or another
            ``task_id`` than the snapshot's.
    """
    import docker.errors

    try:
        labels = snap.image_labels(env.provider.client, image)
    except docker.errors.APIError:  # not found, or not an image reference at all
        raise ValueError(f"no snapshot {image!r}") from None
    if labels.get(snap.LABEL_SNAPSHOT) != "1":
        raise ValueError(f"{image!r} is not a swe-env snapshot")
    wanted = labels.get(LABEL_TASK, "")
    if task_id and task_id not in (wanted, wanted.rpartition("/")[2]):
        raise ValueError(f"snapshot {image!r} is of task {wanted!r}, not {task_id!r}")
    for task in env.tasks:
        if wanted in (task.id, task.full_id):
            return task, labels
    raise ValueError(f"the task {wanted!r} of snapshot {image!r} is not in this env's tasks")


def origin(image: str, labels: dict[str, str]) -> dict[str, Any]:
    """``info["forked_from"]`` of an episode started from snapshot ``image``."""
    return {
        "snapshot": image,
        "episode": labels.get(LABEL_EPISODE, ""),
        "step": int(labels.get(LABEL_STEP) or 0),
    }


def fork(env: SWEEnv, k: int) -> list[SWEEnv]:
    """``k`` environments reset from a new snapshot of ``env``'s episode, each in its own
    container; they and ``env`` hold the snapshot. The caller closes them.

    Raises:
        ValueError: ``k`` < 1.
        RuntimeError, SandboxError: as :func:`snapshot`; SweEnvError: a reset failed
            (the forks made so far are closed).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    image = snapshot(env)
    provider = None if env._owns_provider else env.provider
    forks = [type(env)(env.config, provider=provider) for _ in range(k)]
    for child in forks:
        snap.HOLDS.hold(image, child)

    def start(child: SWEEnv) -> None:
        child.reset(options={"snapshot": image})

    try:
        with ThreadPoolExecutor(min(k, MAX_PARALLEL_STARTS)) as starters:
            list(starters.map(start, forks))
    except BaseException:
        for child in forks:
            child.close()
        raise
    return forks


def release(env: SWEEnv) -> int:
    """Let go of ``env``'s snapshots; those nobody holds any more are removed (and so
    are earlier ones that a container still used then, if it is gone now)."""
    return snap.HOLDS.release(env.provider.client, env)
