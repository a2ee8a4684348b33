"""One episode, prepared for its page: actions with their arguments (edits as diffs),
observations folded when long, timings, per-turn tokens, a logprob heat strip, the final
patch as a coloured diff and the grade test by test."""

from __future__ import annotations

import contextlib
import difflib
import json
import math
from typing import Any

from markupsafe import Markup, escape

FOLD_CHARS = 1500
FOLD_LINES = 25
HEAT_MAX = 4000
"""Tokens drawn in a heat strip at most (the rest are counted, not drawn)."""


def diff_lines(patch: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its class: add, del, hunk, meta or ctx."""
    out = []
    for line in patch.splitlines():
        if line.startswith(("+++", "---", "diff ", "index ", "new file", "deleted file")):
            cls = "meta"
        elif line.startswith("@@"):
            cls = "hunk"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        else:
            cls = "ctx"
        out.append((cls, line))
    return out


def _call(action: Any) -> tuple[str | None, Any]:
    """(tool name, arguments) of an action in any recorded form; (None, text) for text."""
    if isinstance(action, dict):
        function = action.get("function")
        if isinstance(function, dict):  # an OpenAI tool call
            action = function
        args = action.get("arguments", {})
        if isinstance(args, str):
            with contextlib.suppress(json.JSONDecodeError):
                args = json.loads(args)
        return str(action.get("name") or "?"), args
    return None, action


def action_view(action: Any) -> dict[str, Any]:
    """The action as the page shows it: its tool, its arguments, and a diff for an edit
    (old text against new) or a create (every line added)."""
    name, args = _call(action)
    view: dict[str, Any] = {"name": name or "text", "args": [], "diff": None, "raw": None}
    if name is None:
        view["raw"] = args if isinstance(args, str) else json.dumps(args, indent=2)
        return view
    if not isinstance(args, dict):
        view["raw"] = json.dumps(args, indent=2, default=str)
        return view
    path = str(args.get("path", ""))
    if name == "edit" and isinstance(args.get("old_str"), str):
        old, new = args["old_str"].splitlines(), str(args.get("new_str", "")).splitlines()
        body = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", lineterm="", n=3)
        view["diff"] = diff_lines("\n".join(body))
        view["args"] = [("path", path)]
    elif name == "create" and isinstance(args.get("content"), str):
        lines = [f"+{line}" for line in args["content"].splitlines()]
        view["diff"] = [("meta", f"+++ b/{path}"), *(("add", line) for line in lines)]
        view["args"] = [("path", path)]
    else:
        view["args"] = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in args.items()]
    return view


def fold(text: str) -> dict[str, Any]:
    """An observation with what the page needs to fold it when it is long."""
    text = text if isinstance(text, str) else json.dumps(text, default=str)
    lines = text.count("\n") + 1 if text else 0
    long = len(text) > FOLD_CHARS or lines > FOLD_LINES
    preview = "\n".join(text.splitlines()[:8])[:600] if long else text
    return {"text": text, "long": long, "lines": lines, "chars": len(text), "preview": preview}


def heat_strip(
    tokens: list[str] | None,
    logprobs: list[float] | None,
    top: list[dict[str, float]] | None = None,
) -> Markup | None:
    """The completion's tokens coloured by probability (red: unlikely), as inline SVG;
    each cell's tooltip names the token, its logprob and the likeliest alternatives."""
    if not logprobs:
        return None
    tokens = tokens or [""] * len(logprobs)
    top = top or []
    shown = logprobs[:HEAT_MAX]
    cell, per_row = 6, 120
    rows = -(-len(shown) // per_row)
    parts = [
        f'<svg class="heat" viewBox="0 0 {per_row * cell} {rows * cell}" '
        f'width="{per_row * cell}" height="{rows * cell}" role="img" '
        f'aria-label="logprobs of {len(logprobs)} tokens">'
    ]
    for i, lp in enumerate(shown):
        p = math.exp(min(0.0, float(lp))) if lp is not None else 0.0
        hue = int(120 * p)  # 0 red .. 120 green
        tok = tokens[i] if i < len(tokens) else ""
        tip = f"{tok!r} logprob {float(lp or 0):.3f} (p={p:.2f})"
        if i < len(top) and isinstance(top[i], dict):
            best = sorted(top[i].items(), key=lambda kv: -kv[1])[:3]
            tip += "; top: " + ", ".join(f"{t!r} {v:.2f}" for t, v in best)
        parts.append(
            f'<rect x="{(i % per_row) * cell}" y="{(i // per_row) * cell}" width="{cell}" '
            f'height="{cell}" fill="hsl({hue},70%,50%)"><title>{escape(tip)}</title></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def grade_rows(grade: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The grade test by test: FAIL_TO_PASS and PASS_TO_PASS first, then the others."""
    if not grade:
        return []
    rows, seen = [], set()
    tests = grade.get("tests") or {}
    for group, key in (("FAIL_TO_PASS", "fail_to_pass"), ("PASS_TO_PASS", "pass_to_pass")):
        part = grade.get(key) or {}
        for outcome in ("passed", "failed", "neutral"):
            for test in part.get(outcome) or []:
                seen.add(test)
                status = tests.get(test, outcome)
                rows.append({"test": test, "group": group, "status": status, "good": outcome})
    for test, status in tests.items():
        if test not in seen:
            rows.append({"test": test, "group": "other", "status": status, "good": "other"})
    return rows


def statement(rec: dict[str, Any]) -> str:
    """The problem statement as the agent first saw it (its first user message)."""
    if rec.get("problem_statement"):
        return str(rec["problem_statement"])
    for msg in rec.get("messages") or []:
        if msg.get("role") == "user" and isinstance(msg.get("content"), str):
            return msg["content"]
    return ""


def step_view(step: dict[str, Any]) -> dict[str, Any]:
    usage = step.get("usage") or {}
    logprobs = step.get("logprobs")
    return {
        "turn": step.get("turn"),
        "ok": step.get("ok", True),
        "error_kind": step.get("error_kind"),
        "action": action_view(step.get("action")),
        "observation": fold(step.get("observation") or ""),
        "policy_seconds": float(step.get("policy_seconds") or 0.0),
        "tool_seconds": float(step.get("tool_seconds") or 0.0),
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens")
        or (len(step["token_ids"]) if step.get("token_ids") else None),
        "finish_reason": step.get("finish_reason"),
        "heat": heat_strip(step.get("tokens"), logprobs, step.get("top_logprobs")),
        "n_logprobs": len(logprobs or []),
        "mean_logprob": sum(logprobs) / len(logprobs) if logprobs else None,
    }


def said(rec: dict[str, Any]) -> list[str]:
    """What the model wrote each turn beside its tool call (reasoning, then text), in
    the order of the assistant messages; empty where it wrote nothing."""
    out = []
    for msg in rec.get("messages") or []:
        if msg.get("role") == "assistant":
            parts = [msg.get("reasoning_content"), msg.get("content")]
            out.append("\n\n".join(p for p in parts if isinstance(p, str) and p.strip()))
    return out


def episode_view(rec: dict[str, Any]) -> dict[str, Any]:
    """Everything the episode page shows of one trajectory record."""
    steps = [step_view(s) for s in rec.get("steps") or []]
    for step, text in zip(steps, said(rec), strict=False):
        if text and text != step["action"]["raw"]:
            step["said"] = fold(text)
    grade = rec.get("grade") or None
    return {
        "rec": rec,
        "statement": fold(statement(rec)),
        "steps": steps,
        "patch": diff_lines(rec.get("patch") or ""),
        "grade": grade,
        "grade_rows": grade_rows(grade),
        "max_tokens": max((s["completion_tokens"] or 0 for s in steps), default=0),
    }
