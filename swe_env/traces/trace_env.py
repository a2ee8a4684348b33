"""``swe_env/Trace-v0``: CWM's trace-prediction task as a Gymnasium environment.

An episode is one trace of a dataset (the JSONL that ``swe-env traces collect`` writes, or
rendered trace texts). The first observation is the traced function's source (its first
line marked) and its call frame: the inputs. Each action is the next frame in the same
format (``<|line_sep|>{locals}<|action_sep|>line<|frame_sep|>``, or a return or exception
frame with its value). The reward of a step is the mean of three fields, each an exact
match: the event kind, the source line, and the state; the state of a call or line frame
scores the share of variables (expected and predicted) whose value matches, that of a
return or exception frame is the value's exact match. The observation then gains the true
frame (teacher forcing), and the episode ends after the last frame. Pure Python: no Docker.

Importing this module registers the id (``gymnasium.make("swe_env/Trace-v0", dataset=...)``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium

from swe_env.spaces import UnicodeText
from swe_env.traces.format import (
    Event,
    Trace,
    TraceFormatError,
    parse,
    parse_event,
    render_context,
    render_event,
)

ENV_ID = "swe_env/Trace-v0"
MAX_CHARS = 200_000


def load_traces(dataset: str | Path | list[str], max_chars: int = MAX_CHARS) -> list[Trace]:
    """Traces with at least two frames from a JSONL file (a ``trace`` field per line), or
    from a list of rendered traces."""
    if isinstance(dataset, list):
        texts = dataset
    else:
        with Path(dataset).open(encoding="utf-8") as fh:
            texts = [json.loads(line)["trace"] for line in fh if line.strip()]
    traces = [parse(t) for t in texts if len(t) <= max_chars]
    return [t for t in traces if len(t.events) >= 2]


def score_frame(action: str, expected: Event) -> tuple[float, dict[str, float]]:
    """The reward of predicting ``expected`` with ``action``, and its three field scores.
    An action that is not a frame scores 0."""
    try:
        got = parse_event(action.strip())
    except TraceFormatError:
        return 0.0, {"kind": 0.0, "line": 0.0, "state": 0.0}
    fields = {
        "kind": float(got.kind == expected.kind),
        "line": float(got.line == expected.line),
        "state": _state_score(got, expected),
    }
    return sum(fields.values()) / 3, fields


def _state_score(got: Event, expected: Event) -> float:
    if expected.kind in ("return", "exception"):
        return float(got.kind == expected.kind and got.value == expected.value)
    if got.locals is None:
        return 0.0
    names = set(expected.locals or {}) | set(got.locals)
    if not names:
        return 1.0
    want = expected.locals or {}
    return sum(got.locals.get(n) == want.get(n) for n in names) / len(names)


class TraceEnv(gymnasium.Env):
    """Predict a function's execution, frame by frame (see the module's docstring)."""

    metadata = {"render_modes": []}

    def __init__(self, dataset: str | Path | list[str], max_chars: int = MAX_CHARS) -> None:
        self.traces = load_traces(dataset, max_chars)
        if not self.traces:
            raise ValueError(f"{dataset!r} holds no trace of two frames or more")
        self.observation_space = UnicodeText(max_length=max_chars)
        self.action_space = UnicodeText(max_length=max_chars)
        self._trace: Trace = self.traces[0]
        self._pos = 0
        self._text = ""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start on a trace (``options={"index": i}``, else one drawn with the seed)."""
        super().reset(seed=seed)
        index = (options or {}).get("index")
        if index is None:
            index = int(self.np_random.integers(len(self.traces)))
        self._trace = self.traces[index]
        first = self._trace.events[0]
        self._text = render_context(self._trace.source, self._trace.marked) + render_event(first)
        self._pos = 1
        return self._text, {"index": index, "frames": len(self._trace.events)}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._pos >= len(self._trace.events):
            raise RuntimeError("the episode is over: call reset()")
        expected = self._trace.events[self._pos]
        reward, fields = score_frame(str(action), expected)
        truth = render_event(expected)
        self._text += truth
        self._pos += 1
        terminated = self._pos >= len(self._trace.events)
        info = {"fields": fields, "expected": truth, "exact": reward == 1.0}
        return self._text, float(reward), terminated, False, info


def register() -> None:
    """Register every id of :data:`swe_env.ENVS`, ``swe_env/Trace-v0`` among them."""
    from swe_env import register_envs

    register_envs()


register()
