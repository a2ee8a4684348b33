"""Read a run's trajectories and turn them into training data or a summary.

* :func:`read_trajectories`: the records of ``DIR/trajectories.jsonl``, one per
  (task, sample): a complete record wins over infra errors written before a rerun.
* :func:`write_parquet`: one row per episode, typed columns (messages as OpenAI chat
  structs, token ids and logprobs per assistant turn); HF ``datasets`` reads it.
* :func:`write_sft`: chat-format JSONL (``{"messages", "tools", ...}``) for SFT or
  mid-training.
* :func:`stats`: counts for ``swe-env trajectories stats``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TRAJECTORIES = "trajectories.jsonl"


def trajectories_path(path: Path) -> Path:
    """``path`` itself if it is a file, else ``path/trajectories.jsonl``."""
    path = Path(path)
    return path if path.is_file() else path / TRAJECTORIES


def read_trajectories(path: Path) -> list[dict[str, Any]]:
    """The run's records, one per (task, sample), in file order.

    Torn lines (a crash mid-write) are skipped. For a pair written more than once, the
    first ``ok`` record is kept, else the last record.

    Raises:
        OSError: there is no trajectories file, or it cannot be read.
        ValueError: the file is not empty but holds no record (not a trajectories file).
    """
    file = trajectories_path(path)
    chosen: dict[tuple[str, int], dict[str, Any]] = {}
    text = file.read_bytes().decode("utf-8", errors="replace")  # a torn multibyte char
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(rec, dict) or "task_id" not in rec:
            continue
        key = (rec["task_id"], int(rec.get("sample", 0)))
        old = chosen.get(key)
        if old is None or old.get("status") != "ok":
            chosen.pop(key, None)  # re-insert: file order follows the kept record
            chosen[key] = rec
    if not chosen and text.strip():
        raise ValueError(f"{file} holds no trajectory record (is it a trajectories.jsonl?)")
    return list(chosen.values())


def _usage(rec: dict[str, Any], key: str) -> int:
    total = (rec.get("usage") or {}).get(key)
    if total is not None:
        return int(total)
    return sum(int((s.get("usage") or {}).get(key, 0)) for s in rec.get("steps", []))


def stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Episodes, resolved rate, mean turns, format and infra errors, tokens, groups."""
    ok = [r for r in records if r.get("status", "ok") == "ok"]
    n = len(ok)
    groups: dict[str, list[float]] = {}
    for r in ok:
        groups.setdefault(r["task_id"], []).append(float(r.get("reward", 0.0)))
    truncations: dict[str, int] = {}
    for r in ok:
        if r.get("truncation"):
            truncations[r["truncation"]] = truncations.get(r["truncation"], 0) + 1
    return {
        "episodes": len(records),
        "completed": n,
        "infra_errors": len(records) - n,
        "resolved": sum(bool(r.get("resolved")) for r in ok),
        "resolved_rate": sum(bool(r.get("resolved")) for r in ok) / n if n else 0.0,
        "mean_reward": sum(float(r.get("reward", 0.0)) for r in ok) / n if n else 0.0,
        "mean_turns": sum(int(r.get("turns", 0)) for r in ok) / n if n else 0.0,
        "format_errors": sum(_format_errors(r) for r in ok),
        "episodes_with_format_errors": sum(_format_errors(r) > 0 for r in ok),
        "submitted": sum(bool(r.get("terminated")) for r in ok),
        "truncations": truncations,
        "prompt_tokens": sum(_usage(r, "prompt_tokens") for r in ok),
        "completion_tokens": sum(_usage(r, "completion_tokens") for r in ok),
        "tasks": len(groups),
        "mixed_groups": sum(len(set(v)) > 1 for v in groups.values()),
        "mean_seconds": sum(float(r.get("seconds", 0.0)) for r in ok) / n if n else 0.0,
    }


def _format_errors(rec: dict[str, Any]) -> int:
    if rec.get("format_errors"):
        return int(rec["format_errors"])
    return sum(s.get("error_kind") == "format" for s in rec.get("steps", []))


# -- SFT ---------------------------------------------------------------------------------


def _clean_message(msg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": msg["role"], "content": msg.get("content")}
    if msg.get("tool_calls"):
        out["tool_calls"] = msg["tool_calls"]
    if msg.get("tool_call_id"):
        out["tool_call_id"] = msg["tool_call_id"]
    if msg.get("reasoning_content"):
        out["reasoning_content"] = msg["reasoning_content"]
    return out


def select(
    records: list[dict[str, Any]], *, resolved_only: bool = False, min_reward: float | None = None
) -> list[dict[str, Any]]:
    """Completed episodes, optionally only the resolved ones or those above a reward."""
    kept = [r for r in records if r.get("status", "ok") == "ok" and r.get("messages")]
    if resolved_only:
        kept = [r for r in kept if r.get("resolved")]
    if min_reward is not None:
        kept = [r for r in kept if float(r.get("reward", 0.0)) >= min_reward]
    return kept


def sft_record(rec: dict[str, Any]) -> dict[str, Any]:
    """One chat-format training example: messages (and tools) plus provenance."""
    out: dict[str, Any] = {"messages": [_clean_message(m) for m in rec.get("messages", [])]}
    if rec.get("tools"):
        out["tools"] = rec["tools"]
    out.update(
        episode_id=rec.get("episode_id"),
        task_id=rec["task_id"],
        sample=rec.get("sample", 0),
        model=rec.get("model", ""),
        reward=rec.get("reward", 0.0),
        resolved=bool(rec.get("resolved")),
    )
    return out


def write_sft(records: list[dict[str, Any]], out: Path) -> int:
    """Write chat-format JSONL; returns the number of examples."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        for rec in records:
            fh.write(json.dumps(sft_record(rec), ensure_ascii=False) + "\n")
    return len(records)


# -- Parquet -------------------------------------------------------------------------------


def _schema() -> Any:
    import pyarrow as pa

    call = pa.struct(
        [
            ("id", pa.string()),
            ("type", pa.string()),
            ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
        ]
    )
    message = pa.struct(
        [
            ("role", pa.string()),
            ("content", pa.string()),
            ("tool_calls", pa.list_(call)),
            ("tool_call_id", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("episode_id", pa.string()),
            ("task_id", pa.string()),
            ("sample", pa.int64()),
            ("policy", pa.string()),
            ("model", pa.string()),
            ("mode", pa.string()),
            ("status", pa.string()),
            ("reward", pa.float64()),
            ("resolved", pa.bool_()),
            ("terminated", pa.bool_()),
            ("truncated", pa.bool_()),
            ("truncation", pa.string()),
            ("turns", pa.int64()),
            ("format_errors", pa.int64()),
            ("seconds", pa.float64()),
            ("prompt_tokens", pa.int64()),
            ("completion_tokens", pa.int64()),
            ("patch", pa.string()),
            ("messages", pa.list_(message)),
            ("completion_token_ids", pa.list_(pa.list_(pa.int64()))),
            ("completion_logprobs", pa.list_(pa.list_(pa.float64()))),
            ("prompt_token_ids", pa.list_(pa.list_(pa.int64()))),
            ("tools", pa.string()),
            ("sampling", pa.string()),
            ("grade", pa.string()),
            ("steps", pa.string()),
        ]
    )


def _message_row(msg: dict[str, Any]) -> dict[str, Any]:
    content = msg.get("content")
    calls = []
    for c in msg.get("tool_calls") or []:
        function = c.get("function") or {}
        arguments = function.get("arguments")
        calls.append(
            {
                "id": c.get("id"),
                "type": c.get("type", "function"),
                "function": {
                    "name": function.get("name"),
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    return {
        "role": msg.get("role"),
        "content": content if content is None or isinstance(content, str) else json.dumps(content),
        "tool_calls": calls or None,
        "tool_call_id": msg.get("tool_call_id"),
    }


def parquet_row(rec: dict[str, Any]) -> dict[str, Any]:
    """One episode as a row of :func:`write_parquet`'s schema."""
    steps = rec.get("steps", [])
    return {
        "episode_id": rec.get("episode_id"),
        "task_id": rec["task_id"],
        "sample": int(rec.get("sample", 0)),
        "policy": rec.get("policy"),
        "model": rec.get("model", ""),
        "mode": rec.get("mode"),
        "status": rec.get("status", "ok"),
        "reward": float(rec.get("reward", 0.0)),
        "resolved": bool(rec.get("resolved")),
        "terminated": bool(rec.get("terminated")),
        "truncated": bool(rec.get("truncated")),
        "truncation": rec.get("truncation"),
        "turns": int(rec.get("turns", len(steps))),
        "format_errors": _format_errors(rec),
        "seconds": float(rec.get("seconds", 0.0)),
        "prompt_tokens": _usage(rec, "prompt_tokens"),
        "completion_tokens": _usage(rec, "completion_tokens"),
        "patch": rec.get("patch", ""),
        "messages": [_message_row(m) for m in rec.get("messages", [])],
        "completion_token_ids": [s.get("token_ids") for s in steps],
        "completion_logprobs": [s.get("logprobs") for s in steps],
        "prompt_token_ids": [s.get("prompt_token_ids") for s in steps],
        "tools": json.dumps(rec["tools"]) if rec.get("tools") else None,
        "sampling": json.dumps(rec.get("sampling") or {}),
        "grade": json.dumps(rec["grade"]) if rec.get("grade") is not None else None,
        "steps": json.dumps(steps, default=str),
    }


def write_parquet(records: list[dict[str, Any]], out: Path) -> int:
    """Write one row per episode to ``out``; returns the number of rows.

    Per-turn lists (token ids, logprobs, prompt ids) have one entry per step, null
    where the server gave none. ``tools``, ``sampling``, ``grade`` and ``steps`` are
    JSON strings.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([parquet_row(r) for r in records], schema=_schema())
    pq.write_table(table, out, compression="zstd")
    return len(records)
