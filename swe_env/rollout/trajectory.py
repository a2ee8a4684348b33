"""Trajectory records (one JSON line per episode) and an append-only, resumable writer."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field


class Step(BaseModel):
    """One turn: the action, what the environment answered, and the model's tokens.

    The token fields are filled when the policy is a model behind an OpenAI-compatible
    server that returns them (see :mod:`swe_env.policy`); ``None`` otherwise.
    """

    turn: int
    action: Any
    observation: str
    ok: bool = True
    error_kind: str | None = None
    policy_seconds: float = 0.0
    tool_seconds: float = 0.0
    tokens: list[str] | None = None
    """The completion's tokens as the server spelled them."""
    token_ids: list[int] | None = None
    """The completion's token ids (vLLM with ``vllm_token_ids``)."""
    logprobs: list[float] | None = None
    """The sampled logprob of each completion token."""
    top_logprobs: list[dict[str, float]] | None = None
    prompt_token_ids: list[int] | None = None
    """The prompt of this turn as token ids (vLLM's ``return_token_ids``)."""
    usage: dict[str, int] | None = None
    """The server's usage counts for this turn (prompt_tokens, completion_tokens, …)."""
    finish_reason: str | None = None
    n_tool_calls: int | None = None
    """Native tool calls in the reply (tools mode); more than one is a format error."""


class Trajectory(BaseModel):
    """One episode: what the policy did, what it saw, and how it was graded."""

    episode_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    task_id: str
    sample: int = 0
    policy: str
    model: str = ""
    sampling: dict[str, Any] = Field(default_factory=dict)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    """The episode in OpenAI chat format, tool calls included."""
    steps: list[Step] = Field(default_factory=list)
    reward: float = 0.0
    resolved: bool = False
    terminated: bool = False
    truncated: bool = False
    truncation: str | None = None
    patch: str = ""
    grade: dict[str, Any] | None = None
    turns: int = 0
    seconds: float = 0.0
    reset_seconds: float = 0.0
    """The reset's share of ``seconds``: image lookup and a container (handed over from
    the warm pool, or started)."""
    started_at: float = Field(default_factory=time.time)
    infra_errors: list[str] = Field(default_factory=list)
    """Infrastructure faults met (and retried); a failed episode is never the agent's."""
    node: str = ""
    """The host the episode ran on (a Ray node's host name; empty when run in-process)."""
    status: str = "ok"
    """ok, or infra_error when the episode could not be completed."""
    usage: dict[str, int] = Field(default_factory=dict)
    """Token counts summed over the turns (prompt_tokens, completion_tokens)."""
    format_errors: int = 0
    """Turns whose action could not be parsed."""
    mode: str | None = None
    """The policy's action format: tools or text (None for scripted policies)."""
    tools: list[dict[str, Any]] | None = None
    """The tool schemas the model was given (tools mode), for SFT export."""
    forked_from: dict[str, Any] | None = None
    """Set when the episode started from a snapshot (``SWEEnv.fork``, or a reset with
    ``options={"snapshot": id}``): ``snapshot`` (its id), ``episode`` (the parent
    episode, as its reset's ``info["episode"]``) and ``step`` (the parent's turn when
    the snapshot was taken; this episode's turns count on from it)."""

    @classmethod
    def infra_failure(
        cls, task_id: str, sample: int, errors: list[str], policy: str = "?"
    ) -> Trajectory:
        """The record of an episode that infrastructure faults kept from completing:
        ``status="infra_error"``, reward 0; trainers mask it and a rerun retries it."""
        return cls(
            task_id=task_id, sample=sample, policy=policy, status="infra_error", infra_errors=errors
        )


class TrajectoryWriter:
    """Append trajectories to ``DIR/trajectories.jsonl`` as they finish (thread-safe).

    A rerun reads the file first: :meth:`done` tells which (task, sample) pairs already
    have a complete record, so an interrupted run resumes instead of duplicating.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.out_dir / "trajectories.jsonl"
        self._lock = threading.Lock()
        self._done: set[tuple[str, int]] = set()
        if self.path.exists():
            data = self.path.read_bytes()
            if data and not data.endswith(b"\n"):
                # A crash tore the last line: drop it, so the next record starts clean.
                data = data[: data.rfind(b"\n") + 1]
                with self.path.open("r+b") as fh:
                    fh.truncate(len(data))
            for line in data.decode("utf-8", errors="replace").splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a damaged line: ignored, its pair is rerun
                if isinstance(rec, dict) and rec.get("status") == "ok" and "task_id" in rec:
                    self._done.add((rec["task_id"], int(rec.get("sample", 0))))

    def done(self, task_id: str, sample: int) -> bool:
        return (task_id, sample) in self._done

    def write(self, trajectory: Trajectory) -> None:
        line = trajectory.model_dump_json() + "\n"
        with self._lock:
            if trajectory.status == "ok":
                key = (trajectory.task_id, trajectory.sample)
                if key in self._done:
                    return
                self._done.add(key)
            with self.path.open("a") as fh:
                fh.write(line)
                fh.flush()
