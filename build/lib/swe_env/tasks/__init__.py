"""Tasks as data: :class:`TaskSpec` and its loaders (native YAML, SWE-bench JSON/JSONL)."""

from swe_env.tasks.native import find_task, list_suites, load_suite, load_task, tasks_root
from swe_env.tasks.spec import (
    DirSource,
    EnvironmentSpec,
    GitSource,
    MirrorSource,
    RepoSource,
    TaskSpec,
)

__all__ = [
    "DirSource",
    "EnvironmentSpec",
    "GitSource",
    "MirrorSource",
    "RepoSource",
    "TaskSpec",
    "find_task",
    "list_suites",
    "load_suite",
    "load_task",
    "tasks_root",
]
