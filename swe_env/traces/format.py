"""Execution traces in the Code World Model's format: tokens, events, render and parse.

The format is the one CWM was mid-trained on (FAIR CodeGen team, "CWM: An Open-Weights LLM
for Research on Code Generation with World Models", arXiv:2510.02387, the section on Python
execution traces and its Figure 2, "CWM format for Python traces"):

- a trace starts with ``<|trace_context_start|>`` and the source, in which the traced
  function's first line (its ``def`` line) is marked ``# << START_OF_TRACE``;
- each frame is one event:
  - call or line: ``<|call_sep|>`` or ``<|line_sep|>``, then
    ``$LOCALS<|action_sep|>$SOURCE_LINE<|frame_sep|>``;
  - return or exception: ``<|return_sep|>`` or ``<|exception_sep|>``, then
    ``<|action_sep|>$SOURCE_LINE<|arg_sep|>$VALUE<|frame_sep|>``;
- ``$LOCALS`` is a JSON object whose values are JSON strings (``repr``-like, truncated); a
  variable unchanged since the previous frame of the same call is ``".."``. ``$VALUE`` is one
  such JSON string. A line event's locals are the state just before the line runs.

What the tracer (:mod:`swe_env.traces.tracer`) does at each limit is stated there. A source,
line or value that contains one of the tokens cannot be rendered unambiguously and raises
:class:`TraceFormatError` (the collector drops such a trace and counts it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

FORMAT_VERSION = 1
"""The version of the tracer's JSON and this rendering (records carry it)."""

TRACE_CONTEXT_START = "<|trace_context_start|>"
CALL_SEP = "<|call_sep|>"
LINE_SEP = "<|line_sep|>"
RETURN_SEP = "<|return_sep|>"
EXCEPTION_SEP = "<|exception_sep|>"
ACTION_SEP = "<|action_sep|>"
ARG_SEP = "<|arg_sep|>"
FRAME_SEP = "<|frame_sep|>"
START_MARKER = "# << START_OF_TRACE"
UNCHANGED = ".."
TOKENS = (
    TRACE_CONTEXT_START, CALL_SEP, LINE_SEP, RETURN_SEP, EXCEPTION_SEP, ACTION_SEP, ARG_SEP,
    FRAME_SEP,
)  # fmt: skip

Kind = Literal["call", "line", "return", "exception"]
SEPS: dict[str, str] = {
    "call": CALL_SEP,
    "line": LINE_SEP,
    "return": RETURN_SEP,
    "exception": EXCEPTION_SEP,
}
KINDS = {sep: kind for kind, sep in SEPS.items()}


class TraceFormatError(ValueError):
    """Text that is not a trace or frame in the format, or a trace that cannot be one."""


@dataclass(frozen=True)
class Event:
    """One frame: a call or line event carries ``locals``; return and exception, ``value``."""

    kind: Kind
    line: str
    locals: dict[str, str] | None = None
    value: str | None = None


@dataclass
class Trace:
    """One call of one function: its source (``marked``: index of the marked line) and frames."""

    source: str
    marked: int
    events: list[Event] = field(default_factory=list)


def _check(text: str, what: str) -> None:
    for token in TOKENS:
        if token in text:
            raise TraceFormatError(f"{what} contains the token {token}")


def render_event(event: Event) -> str:
    """One frame as text, ``<|..._sep|>`` to ``<|frame_sep|>``."""
    _check(event.line, "a source line")
    if "\n" in event.line:
        raise TraceFormatError("a source line spans lines")
    if event.kind in ("call", "line"):
        state = json.dumps(event.locals or {}, ensure_ascii=False)
        _check(state, "the locals")
        return f"{SEPS[event.kind]}{state}{ACTION_SEP}{event.line}{FRAME_SEP}"
    value = json.dumps(event.value or "", ensure_ascii=False)
    _check(value, "the value")
    return f"{SEPS[event.kind]}{ACTION_SEP}{event.line}{ARG_SEP}{value}{FRAME_SEP}"


def render_context(source: str, marked: int) -> str:
    """``<|trace_context_start|>`` and the source, line ``marked`` (0-based) marked."""
    _check(source, "the source")
    lines = source.splitlines()
    if not 0 <= marked < len(lines):
        raise TraceFormatError(f"line {marked} to mark is not in the source")
    lines[marked] = f"{lines[marked]} {START_MARKER}"
    return TRACE_CONTEXT_START + "\n".join(lines) + "\n"


def render(trace: Trace) -> str:
    """The whole trace as text: the context, then every frame."""
    frames = "".join(render_event(e) for e in trace.events)
    return render_context(trace.source, trace.marked) + frames


def parse_event(text: str) -> Event:
    """One frame's text (as :func:`render_event` writes it) back into an :class:`Event`."""
    kind = KINDS.get(text[: text.find("|>") + 2]) if text.startswith("<|") else None
    if kind is None:
        raise TraceFormatError("a frame starts with <|call_sep|>, <|line_sep|>, ...")
    if not text.endswith(FRAME_SEP):
        raise TraceFormatError("a frame ends with <|frame_sep|>")
    body = text[len(SEPS[kind]) : -len(FRAME_SEP)]
    head, sep, rest = body.partition(ACTION_SEP)
    if not sep:
        raise TraceFormatError("a frame has <|action_sep|> before its source line")
    if kind in ("call", "line"):
        return Event(kind, rest, locals=_locals(head))
    line, sep, value = rest.partition(ARG_SEP)
    if head or not sep:
        raise TraceFormatError("a return or exception frame is <|action_sep|>line<|arg_sep|>value")
    return Event(kind, line, value=_string(value))


def _locals(text: str) -> dict[str, str]:
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise TraceFormatError(f"the locals are not JSON: {exc}") from None
    if not isinstance(state, dict) or not all(isinstance(v, str) for v in state.values()):
        raise TraceFormatError("the locals are a JSON object of strings")
    return state


def _string(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise TraceFormatError(f"the value is not a JSON string: {exc}") from None
    if not isinstance(value, str):
        raise TraceFormatError("the value is a JSON string")
    return value


def split_frames(text: str) -> list[str]:
    """The frames of ``text`` (each ending with ``<|frame_sep|>``)."""
    parts = text.split(FRAME_SEP)
    if parts[-1].strip():
        raise TraceFormatError("text after the last <|frame_sep|>")
    return [p + FRAME_SEP for p in parts[:-1]]


def parse(text: str) -> Trace:
    """A rendered trace back into a :class:`Trace` (``parse(render(t)) == t``)."""
    if not text.startswith(TRACE_CONTEXT_START):
        raise TraceFormatError("a trace starts with <|trace_context_start|>")
    body = text[len(TRACE_CONTEXT_START) :]
    starts = [i for i in (body.find(sep) for sep in SEPS.values()) if i >= 0]
    cut = min(starts, default=len(body))
    context, frames = body[:cut], body[cut:]
    lines = context.splitlines()
    suffix = " " + START_MARKER
    marked = next((i for i, line in enumerate(lines) if line.endswith(suffix)), None)
    if marked is None:
        raise TraceFormatError(f"no line of the source is marked {START_MARKER}")
    lines[marked] = lines[marked][: -len(suffix)]
    events = [parse_event(f) for f in split_frames(frames)]
    return Trace("\n".join(lines) + "\n", marked, events)


def from_record(record: dict[str, Any]) -> Trace:
    """A tracer JSON record (``source``, ``source_line``, ``line``, ``events``) as a Trace."""
    source = "\n".join(record["source"].splitlines()) + "\n"  # one line ending: round-trips
    marked = int(record["line"]) - int(record["source_line"])
    events = []
    for raw in record["events"]:
        kind, state, line = raw[0], raw[1], raw[2]
        if kind in ("call", "line"):
            events.append(Event(kind, line, locals=dict(state or {})))
        else:
            events.append(Event(kind, line, value=raw[3]))
    return Trace(source, marked, events)
