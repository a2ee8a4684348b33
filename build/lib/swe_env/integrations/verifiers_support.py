"""The verifiers adapter's parts that need no verifiers: a task's ``TaskData`` fields, the
task selection, the image builds, the diff command and the graded reward. The classes
are in :mod:`.verifiers_taskset`; :mod:`.verifiers_env` is the entry point.
"""

from __future__ import annotations

import asyncio
import secrets
import shlex
from typing import Any

from rewards.functions import RewardName, reward
from rewards.grade import grade
from swe_env.images.build import ensure_instance_image, instance_tag
from swe_env.sandbox.docker import docker_client
from swe_env.tasks import TaskSpec, find_task, load_suite
from swe_env.tools.submit import diff_script

REPO = "/testbed"
"""Where the instance images hold the repository."""


def task_data(spec: TaskSpec) -> dict[str, Any]:
    """The verifiers ``TaskData`` fields of a swe-env task."""
    return {
        "id": spec.full_id,
        "name": spec.full_id,
        "prompt": spec.problem_statement,
        "image": instance_tag(spec),
        "workdir": REPO,
    }


def select(suite: str, task_ids: list[str] | None = None) -> list[TaskSpec]:
    """The suite's tasks, or only ``task_ids`` (``id`` or ``suite/id``), in that order."""
    if task_ids is None:
        return load_suite(suite)
    return [find_task(t, None if "/" in t else suite) for t in task_ids]


def build_images(specs: list[TaskSpec]) -> None:
    """Build the instance images that are missing (verifiers only starts images)."""
    client = docker_client()
    try:
        for spec in specs:
            ensure_instance_image(spec, client)
    finally:
        client.close()


def patch_command(base_commit: str) -> list[str]:
    """argv printing the diff of ``/testbed`` against ``base_commit`` (``submit``'s)."""
    token = secrets.token_hex(8)
    index, patch = f"/tmp/swe_env_vf_{token}.index", f"/tmp/swe_env_vf_{token}.patch"
    script = diff_script(REPO, base_commit, index, patch)
    quoted = shlex.quote(patch)
    return ["bash", "-c", f"{script} && cat -- {quoted}; rc=$?; rm -f -- {quoted}; exit $rc"]


def score(task_id: str, patch: str, name: RewardName, timeout: float) -> float:
    """Blocking: grade ``patch`` in a fresh container and map the grade to reward
    ``name``."""
    spec = find_task(task_id)
    graded = grade(spec, patch, timeout=timeout)
    return reward(name, graded, patch, spec.gold_patch)


async def run_score(task_id: str, patch: str, name: RewardName, timeout: float) -> float:
    """:func:`score` off the event loop."""
    return await asyncio.to_thread(score, task_id, patch, name, timeout)
