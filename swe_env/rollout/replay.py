"""A gold patch as tool calls: :func:`plan_actions` and its diff helpers.

The policy that plays the plan is :class:`swe_env.policy.replay.ReplayPolicy`.
"""

from __future__ import annotations

import secrets
from typing import Any

from unidiff import PatchSet

from swe_env.patch import file_chunks

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


def __getattr__(name: str) -> Any:
    # The replay policy moved to swe_env.policy.replay; ``swe_env.cli_*`` still import it here.
    if name == "ReplayPolicy":
        from swe_env.policy.replay import ReplayPolicy

        return ReplayPolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
