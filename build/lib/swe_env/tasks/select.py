"""Pick tasks of a suite by id, full id (``suite/id``) or glob pattern."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from swe_env.tasks.spec import TaskSpec

_GLOB = set("*?[")


def select_tasks(
    tasks: list[TaskSpec], wanted: Iterable[str] | None, suite: str = "the suite"
) -> list[TaskSpec]:
    """The tasks that ``wanted`` names, in suite order; all of them if ``wanted`` is None
    or empty.

    Each entry is an id (``inicfg-delimiter-in-value``), a full id
    (``demo/inicfg-delimiter-in-value``) or a glob pattern over either (``demo/inicfg-*``).

    Raises:
        ValueError: an entry names no task of the suite (all such entries are listed).
    """
    wanted = list(wanted or [])
    if not wanted:
        return list(tasks)
    matched: set[str] = set()
    chosen = []
    for task in tasks:
        hits = {w for w in wanted if _matches(w, task)}
        matched |= hits
        if hits:
            chosen.append(task)
    unknown = sorted(set(wanted) - matched)
    if unknown:
        raise ValueError(f"unknown task id(s) in {suite}: {', '.join(unknown)}")
    return chosen


def _matches(pattern: str, task: TaskSpec) -> bool:
    if _GLOB & set(pattern):
        return fnmatchcase(task.id, pattern) or fnmatchcase(task.full_id, pattern)
    return pattern in (task.id, task.full_id)
