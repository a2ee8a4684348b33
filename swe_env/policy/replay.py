"""The replay policy: replays a task's gold patch through tool calls, with no model.

It explores (``git status``), applies each hunk with ``edit`` (new files with
``create``, deletions with ``bash rm``), runs the visible tests and submits. When an
edit does not land (its text is not unique, say), it falls back to ``git apply`` of that
file's diff through ``bash``, as an agent would. The whole path runs end to end, so a
replay run checks images, tools, grading and trajectory writing at once. The plan of
tool calls comes from :mod:`swe_env.rollout.replay`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from swe_env.rollout.replay import Action, _apply_via_bash, _bash, file_chunks, plan_actions
from swe_env.tasks.spec import TaskSpec

VISIBLE_TEST_TAIL = 5
"""Lines of the visible test run's output the replay shows before it submits."""


class ReplayPolicy:
    """Replays the gold patch. ``act`` takes the last observation and step info."""

    name = "replay"
    model = "gold-patch"

    def __init__(self, task: TaskSpec) -> None:
        if not task.gold_patch:
            raise ValueError(f"{task.full_id} has no gold patch to replay")
        self.task = task
        self._file_diffs = file_chunks(task.gold_patch)
        test_run = f"{task.environment.test_cmd} 2>&1 | tail -n {VISIBLE_TEST_TAIL}"
        self._queue: deque[tuple[str, Action]] = deque(
            [
                ("", _bash("git status --short && ls")),
                *plan_actions(task.gold_patch),
                ("", _bash(test_run)),
                ("", {"name": "submit", "arguments": {}}),
            ]
        )
        self._last: tuple[str, Action] | None = None
        self._fell_back: set[str] = set()

    def act(self, observation: str, info: dict[str, Any]) -> Action:
        """The next planned tool call; after a failed edit, the file's diff via git apply."""
        last = self._last
        if (
            last is not None
            and last[1]["name"] == "edit"
            and info.get("ok") is False
            and last[0] not in self._fell_back
        ):
            path = last[0]
            self._fell_back.add(path)
            while self._queue and self._queue[0][0] == path:
                self._queue.popleft()
            # Put the file back to its base state (partly applied hunks), then apply.
            diff = self._file_diffs.get(path, "")
            self._last = (path, _bash(f"git checkout -q -- '{path}'"))
            self._queue.appendleft((path + "#apply", _apply_via_bash(diff)))
            return self._last[1]
        self._last = self._queue.popleft() if self._queue else ("", {"name": "submit"})
        return self._last[1]
