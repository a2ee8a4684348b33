"""The replay policy: replays a task's gold patch through tool calls, with no model.

It explores (``git status``), applies each hunk with ``edit`` (new files with
``create``, deletions with ``bash rm``), runs the visible tests and submits. When an
edit does not land (its text is not unique, say), it falls back to ``git apply`` of that
file's diff through ``bash``, as an agent would. The whole path runs end to end, so a
replay run checks images, tools, grading and trajectory writing at once.
:func:`plan_actions` turns a gold patch into that plan of tool calls.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from typing import Any

from unidiff import PatchSet

from swe_env.patch import file_chunks
from swe_env.tasks.spec import TaskSpec

VISIBLE_TEST_TAIL = 5
"""Lines of the visible test run's output the replay shows before it submits."""

Action = dict[str, Any]


def _bash(command: str) -> Action:
    return {"name": "bash", "arguments": {"command": command}}


def _apply_via_bash(diff: str) -> Action:
    tag = f"SWE_ENV_PATCH_{secrets.token_hex(4)}"
    body = diff if diff.endswith("\n") else diff + "\n"
    return _bash(f"git apply --whitespace=nowarn - <<'{tag}'\n{body}{tag}")


def _hunk_text(hunk: Any, side: str) -> str:
    """One side of a hunk; honours the no-newline-at-end-of-file marker after a line."""
    keep = " -" if side == "source" else " +"
    parts: list[str] = []
    previous = ""
    for line in hunk:
        if line.line_type == "\\":
            if previous in keep and parts and parts[-1].endswith("\n"):
                parts[-1] = parts[-1][:-1]
            continue
        previous = line.line_type
        if line.line_type in keep:
            parts.append(line.value)
    return "".join(parts)


def plan_actions(gold_patch: str) -> list[tuple[str, Action]]:
    """The tool calls that rebuild ``gold_patch``: (file, action) pairs in order."""
    try:
        patch = PatchSet(gold_patch)
    except Exception:
        return [("*", _apply_via_bash(gold_patch))]
    raw = file_chunks(gold_patch)
    plan: list[tuple[str, Action]] = []
    for f in patch:
        if f.is_binary_file or f.is_rename:
            plan.append((f.path, _apply_via_bash(raw.get(f.path, str(f)))))
        elif f.is_added_file:
            content = "".join(_hunk_text(hunk, "target") for hunk in f)
            plan.append(
                (f.path, {"name": "create", "arguments": {"path": f.path, "content": content}})
            )
        elif f.is_removed_file:
            plan.append((f.path, _bash(f"rm -- '{f.path}'")))
        else:
            for hunk in f:
                old, new = _hunk_text(hunk, "source"), _hunk_text(hunk, "target")
                edit = {"path": f.path, "old_str": old, "new_str": new}
                plan.append((f.path, {"name": "edit", "arguments": edit}))
    return plan


def text_plan(gold_patch: str) -> list[str]:
    """``gold_patch`` as CWM text actions, then submit: a scripted completion for a
    text-in/text-out trainer adapter (no visible test run, no fallback on a failed edit)."""
    from swe_env.tools import ToolCall, render_text_call

    calls = [ToolCall(a["name"], a["arguments"]) for _, a in plan_actions(gold_patch)]
    return [render_text_call(call) for call in [*calls, ToolCall("submit", {})]]


class ReplayPolicy:
    """Replays the gold patch. ``act`` takes the last observation and step info."""

    name = "replay"
    model = "gold-patch"

    def __init__(self, task: TaskSpec, think_seconds: float = 0.0) -> None:
        """``think_seconds``: a pause before each action, as a model's think time
        (benchmarks and fault tests: ``functools.partial(ReplayPolicy, think_seconds=2)``)."""
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
        self.think_seconds = think_seconds

    def act(self, observation: str, info: dict[str, Any]) -> Action:
        """The next planned tool call; after a failed edit, the file's diff via git apply."""
        if self.think_seconds > 0:
            time.sleep(self.think_seconds)
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
