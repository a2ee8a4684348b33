"""The suites the service offers, loaded once (blocking: call from a worker thread)."""

from __future__ import annotations

import threading

from swe_env.errors import TaskError
from swe_env.server.models import ServiceError, TaskInfo
from swe_env.tasks.native import list_suites, load_suite
from swe_env.tasks.spec import TaskSpec


class TaskCatalog:
    """Suites under the tasks root, by name. Suites are loaded on first use and cached;
    a restart picks up changed task files."""

    def __init__(self) -> None:
        self._suites: dict[str, dict[str, TaskSpec]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Every suite under the tasks root."""
        try:
            return list_suites()
        except TaskError as exc:
            raise ServiceError(503, "TaskError", str(exc)) from exc

    def suite(self, name: str) -> dict[str, TaskSpec]:
        """The tasks of suite ``name`` by id.

        Raises:
            ServiceError: 404 ``unknown_suite`` (paths are not suite names here).
        """
        with self._lock:
            cached = self._suites.get(name)
        if cached is not None:
            return cached
        if name not in self.names():
            raise ServiceError(404, "unknown_suite", f"no suite {name!r} on this server")
        try:
            tasks = {t.id: t for t in load_suite(name)}
        except TaskError as exc:
            raise ServiceError(503, "TaskError", str(exc)) from exc
        with self._lock:
            self._suites[name] = tasks
        return tasks

    def task(self, task_id: str, suite: str | None = None) -> TaskSpec:
        """Look up ``suite/id``, or ``id`` within ``suite`` (or within every suite).

        Raises:
            ServiceError: 404 ``unknown_suite`` or ``unknown_task``.
        """
        prefix, _, bare = task_id.rpartition("/")
        if prefix and suite and prefix != suite:
            raise ServiceError(404, "unknown_task", f"task {task_id!r} is not in suite {suite!r}")
        names = [prefix or suite] if prefix or suite else self.names()
        for name in names:
            task = self.suite(name).get(bare)
            if task is not None:
                return task
        where = f"suite {names[0]!r}" if len(names) == 1 else "any suite"
        raise ServiceError(404, "unknown_task", f"no task {bare!r} in {where}")

    def infos(self, suite: str | None = None) -> list[TaskInfo]:
        """Summaries of the tasks of ``suite`` (or of every suite)."""
        names = [suite] if suite else self.names()
        return [
            TaskInfo(
                id=t.id,
                suite=t.suite,
                full_id=t.full_id,
                python=t.environment.python,
                problem_statement=t.problem_statement,
                fail_to_pass=len(t.fail_to_pass),
                pass_to_pass=len(t.pass_to_pass),
                has_gold_patch=bool(t.gold_patch),
            )
            for name in names
            for t in self.suite(name).values()
        ]
