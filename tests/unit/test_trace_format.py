"""The CWM trace format (render, parse, round-trip), and the tracer run under host Pythons on
small programs, against frames derived by hand: loops, recursion, exceptions, generators,
closures, comprehensions, unchanged variables, the limits and the three modes.

The tracer is plain standard library: it runs here as it runs in a task container. Other
interpreters to compare with (3.9, 3.13...) are found on PATH or named in
``SWE_ENV_TRACE_PYTHONS`` (``:``-separated); the host's own always runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.trace_programs import PROGRAM, run_tracer

from swe_env.traces.format import (
    FORMAT_VERSION,
    START_MARKER,
    Event,
    Trace,
    TraceFormatError,
    from_record,
    parse,
    parse_event,
    render,
    render_event,
)


def _pythons() -> list[str]:
    found = [sys.executable]
    names = [p for p in os.environ.get("SWE_ENV_TRACE_PYTHONS", "").split(":") if p]
    names += [n for n in ("python3.9", "python3.13") if shutil.which(n)]
    for name in names:
        probe = subprocess.run([name, "-c", "pass"], capture_output=True, check=False)
        if probe.returncode == 0 and name not in found:
            found.append(name)
    return found


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "prog.py").write_text(PROGRAM)
    return tmp_path


def traced(root: Path, *extra: str, python: str = sys.executable) -> dict[str, list[list]]:
    records, _ = run_tracer(root, "--per-function", "5", *extra, "script", "prog.py", python=python)
    by_name: dict[str, list[list]] = {}
    for r in records:
        assert r["format_version"] == FORMAT_VERSION
        by_name.setdefault(r["function"], []).append(r["events"])
    return by_name


# -- the format ----------------------------------------------------------------------------
def test_render_is_exactly_the_papers_format() -> None:
    trace = Trace(
        "def f(x):\n    return x + 1\n",
        0,
        [
            Event("call", "def f(x):", locals={"x": "1"}),
            Event("line", "    return x + 1", locals={"x": ".."}),
            Event("return", "    return x + 1", value="2"),
        ],
    )
    assert render(trace) == (
        "<|trace_context_start|>def f(x): # << START_OF_TRACE\n    return x + 1\n"
        '<|call_sep|>{"x": "1"}<|action_sep|>def f(x):<|frame_sep|>'
        '<|line_sep|>{"x": ".."}<|action_sep|>    return x + 1<|frame_sep|>'
        '<|return_sep|><|action_sep|>    return x + 1<|arg_sep|>"2"<|frame_sep|>'
    )
    exc = Event("exception", "    raise E", value="E('a')")
    assert render_event(exc) == (
        "<|exception_sep|><|action_sep|>    raise E<|arg_sep|>\"E('a')\"<|frame_sep|>"
    )
    assert parse(render(trace)) == trace


def test_every_traced_program_round_trips(program: Path) -> None:
    records, _ = run_tracer(program, "--per-function", "5", "script", "prog.py")
    assert len(records) == 13
    for record in records:
        trace = from_record(record)
        text = render(trace)
        assert text.count(START_MARKER) == 1
        assert parse(text) == trace
        assert render(parse(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "def f(): # << START_OF_TRACE\n",  # no context token
        "<|trace_context_start|>def f():\n",  # no marked line
        "<|trace_context_start|>def f(): # << START_OF_TRACE\n<|line_sep|>{}def f():<|frame_sep|>",
        '<|trace_context_start|>def f(): # << START_OF_TRACE\n<|line_sep|>{"a": 1}'
        "<|action_sep|>x<|frame_sep|>",  # a value that is not a string
        "<|trace_context_start|>def f(): # << START_OF_TRACE\n<|return_sep|><|action_sep|>x"
        "<|arg_sep|>not json<|frame_sep|>",
        "<|trace_context_start|>def f(): # << START_OF_TRACE\n<|call_sep|>{}<|action_sep|>x",
    ],
)
def test_parse_refuses_what_is_not_a_trace(text: str) -> None:
    with pytest.raises(TraceFormatError):
        parse(text)


def test_a_token_inside_the_code_cannot_be_rendered() -> None:
    with pytest.raises(TraceFormatError):
        render(Trace("def f():\n    s = '<|frame_sep|>'\n", 0, []))
    with pytest.raises(TraceFormatError):
        render_event(Event("return", "return s", value="'<|arg_sep|>'"))
    with pytest.raises(TraceFormatError):
        parse_event('{"x": "1"}<|action_sep|>x<|frame_sep|>')


# -- hand-derived frames -------------------------------------------------------------------
def test_loop(program: Path) -> None:
    assert traced(program)["loop"] == [
        [
            ["call", {"n": "3"}, "def loop(n):"],
            ["line", {"n": ".."}, "    total = 0"],
            ["line", {"n": "..", "total": "0"}, "    for i in range(n):"],
            ["line", {"n": "..", "total": "..", "i": "0"}, "        total += i"],
            ["line", {"n": "..", "total": "..", "i": ".."}, "    for i in range(n):"],
            ["line", {"n": "..", "total": "..", "i": "1"}, "        total += i"],
            ["line", {"n": "..", "total": "1", "i": ".."}, "    for i in range(n):"],
            ["line", {"n": "..", "total": "..", "i": "2"}, "        total += i"],
            ["line", {"n": "..", "total": "3", "i": ".."}, "    for i in range(n):"],
            ["line", {"n": "..", "total": "..", "i": ".."}, "    return total"],
            ["return", None, "    return total", "3"],
        ]
    ]


def test_recursion_is_one_trace_per_call_innermost_first(program: Path) -> None:
    base = [
        ["call", {"n": "1"}, "def fact(n):"],
        ["line", {"n": ".."}, "    if n <= 1:"],
        ["line", {"n": ".."}, "        return 1"],
        ["return", None, "        return 1", "1"],
    ]

    def step(n: int, result: int) -> list[list]:
        return [
            ["call", {"n": str(n)}, "def fact(n):"],
            ["line", {"n": ".."}, "    if n <= 1:"],
            ["line", {"n": ".."}, "    return n * fact(n - 1)"],
            ["return", None, "    return n * fact(n - 1)", str(result)],
        ]

    assert traced(program)["fact"] == [base, step(2, 2), step(3, 6)]


def test_exceptions_caught_and_uncaught(program: Path) -> None:
    traces = traced(program)
    assert traces["risky"] == [
        [
            ["call", {"x": "0"}, "def risky(x):"],
            ["line", {"x": ".."}, "    try:"],
            ["line", {"x": ".."}, "        y = 10 // x"],
            ["exception", None, "        y = 10 // x",
             "ZeroDivisionError('integer division or modulo by zero')"],
            ["line", {"x": ".."}, "    except ZeroDivisionError:"],
            ["line", {"x": ".."}, "        y = None"],
            ["line", {"x": "..", "y": "None"}, "    return y"],
            ["return", None, "    return y", "None"],
        ]
    ]  # fmt: skip
    # Left by an exception: the trace ends with the exception frame, no return frame.
    assert traces["boom"] == [
        [
            ["call", {"x": "1"}, "def boom(x):"],
            ["line", {"x": ".."}, "    y = x + 1"],
            ["line", {"x": "..", "y": "2"}, '    raise ValueError("bad %d" % y)'],
            ["exception", None, '    raise ValueError("bad %d" % y)', "ValueError('bad 2')"],
        ]
    ]


def test_generator_is_one_trace_yields_return_resumes_call(program: Path) -> None:
    assert traced(program)["gen"] == [
        [
            ["call", {"n": "2"}, "def gen(n):"],
            ["line", {"n": ".."}, "    for i in range(n):"],
            ["line", {"n": "..", "i": "0"}, "        yield i * 2"],
            ["return", None, "        yield i * 2", "0"],
            ["call", {"n": "..", "i": ".."}, "        yield i * 2"],
            ["line", {"n": "..", "i": ".."}, "    for i in range(n):"],
            ["line", {"n": "..", "i": "1"}, "        yield i * 2"],
            ["return", None, "        yield i * 2", "2"],
            ["call", {"n": "..", "i": ".."}, "        yield i * 2"],
            ["line", {"n": "..", "i": ".."}, "    for i in range(n):"],
            ["line", {"n": "..", "i": ".."}, '    return "done"'],
            ["return", None, '    return "done"', "'done'"],
        ]
    ]


def test_closure_sees_its_free_variable_and_addresses_are_dropped(program: Path) -> None:
    traces = traced(program)
    assert traces["outer.<locals>.add"] == [
        [
            ["call", {"v": "1", "k": "5"}, "    def add(v):"],
            ["line", {"v": "..", "k": ".."}, "        return v + k"],
            ["return", None, "        return v + k", "6"],
        ]
    ]
    assert traces["outer"][0][2] == [
        "line", {"k": "..", "add": "<function outer.<locals>.add>"}, "    return add(1)"
    ]  # fmt: skip


def test_comprehension_is_one_line_and_unchanged_variables_are_dots(program: Path) -> None:
    traces = traced(program)
    assert traces["squares"] == [
        [
            ["call", {"xs": "[1, 2]"}, "def squares(xs):"],
            ["line", {"xs": ".."}, "    ys = [x * x for x in xs]"],
            ["line", {"xs": "..", "ys": "[1, 4]"}, "    return ys"],
            ["return", None, "    return ys", "[1, 4]"],
        ]
    ]
    assert traces["same"] == [
        [
            ["call", {"a": "1"}, "def same(a):"],
            ["line", {"a": ".."}, "    b = a"],
            ["line", {"a": "..", "b": "1"}, "    c = 3"],
            ["line", {"a": "..", "b": "..", "c": "3"}, "    return c"],
            ["return", None, "    return c", "3"],
        ]
    ]
    assert "<listcomp>" not in traces and "<module>" in traces


@pytest.mark.parametrize("python", _pythons())
def test_every_python_writes_the_same_traces(program: Path, python: str) -> None:
    expected = traced(program)
    assert traced(program, python=python) == expected


# -- limits ---------------------------------------------------------------------------------
def test_events_limit_keeps_the_first_and_counts_the_rest(program: Path) -> None:
    records, _ = run_tracer(program, "--max-events", "4", "script", "prog.py")
    loop = next(r for r in records if r["function"] == "loop")
    assert len(loop["events"]) == 4 and loop["event_count"] == 11
    assert loop["truncated"] == ["events"]
    assert render(from_record(loop)).count("<|frame_sep|>") == 4


def test_value_limit_cuts_long_values(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(
        "def f(s):\n    return s\n\nf('x' * 500)\nf(list(range(50)))\n"
    )
    records, _ = run_tracer(tmp_path, "--max-value", "40", "script", "prog.py")
    first, second = (r for r in records if r["function"] == "f")
    value = first["events"][0][1]["s"]
    assert len(value) <= 40 and value.endswith("...") and first["truncated"] == ["value"]
    assert second["truncated"] == ["value"]  # 50 items: containers show 32
    assert "..." in second["events"][0][1]["s"]


def test_total_bytes_limit_stops_tracing(program: Path) -> None:
    records, summary = run_tracer(program, "--max-bytes", "1500", "script", "prog.py")
    assert summary["stopped"] is True
    assert summary["bytes"] <= 1500 and summary["traces"] == len(records) < 13
    assert (program / "out.jsonl").stat().st_size < 1500 + 400  # + the summary line


def test_per_function_limit_skips_further_calls(program: Path) -> None:
    records, summary = run_tracer(program, "--per-function", "1", "script", "prog.py")
    # The first call is traced (fact(3)); the two recursive ones are not.
    assert [r["events"][0][1] for r in records if r["function"] == "fact"] == [{"n": "3"}]
    assert summary["skipped"] == 2


# -- modes and scope ------------------------------------------------------------------------
def test_function_mode_traces_one_call_with_literal_inputs(program: Path) -> None:
    (program / "lib.py").write_text(
        "import json\n\ndef dump(d, n=1):\n    return json.dumps(d)*n\n"
    )
    records, summary = run_tracer(
        program, "--args", "({'a': (1, 2)},)", "--kwargs", "{'n': 2}", "function", "lib:dump"
    )
    assert [r["function"] for r in records] == ["dump"]  # json (the standard library) is not
    assert records[0]["events"][0][1] == {"d": "{'a': (1, 2)}", "n": "2"}
    assert summary["result"] == repr('{"a": [1, 2]}{"a": [1, 2]}')


def test_test_mode_names_each_test_and_skips_test_files(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_calc.py").write_text(
        "from calc import add\n\ndef test_one():\n    assert add(1, 2) == 3\n\n"
        "def test_two():\n    assert add(2, 2) == 4\n\ndef test_left_out():\n    add(0, 0)\n"
    )
    select = tmp_path / "select.txt"
    select.write_text("tests/test_calc.py::test_one\ntests/test_calc.py::test_two\n")
    records, summary = run_tracer(
        tmp_path, "--select", str(select), "test", "--", "-q", "-p", "no:cacheprovider", "tests"
    )
    assert summary["exit_code"] == 0
    assert [(r["test"], r["function"], r["events"][0][1]) for r in records] == [
        ("tests/test_calc.py::test_one", "add", {"a": "1", "b": "2"}),
        ("tests/test_calc.py::test_two", "add", {"a": "2", "b": "2"}),
    ]


def test_the_repositorys_own_repr_is_not_called(tmp_path: Path) -> None:
    # A __repr__ with a side effect (as a cache's that expires entries): tracing must not
    # run it, or the traced run would differ from the real one.
    (tmp_path / "prog.py").write_text(
        "class Box:\n    calls = 0\n\n    def __repr__(self):\n        Box.calls += 1\n"
        "        return 'Box()'\n\n\ndef use(box):\n    return box\n\n\n"
        "use(Box())\nb = Box()\nb.items = [1, 'a']\nuse(b)\nassert Box.calls == 0, Box.calls\n"
    )
    records, summary = run_tracer(tmp_path, "script", "prog.py")
    assert summary["exit_code"] == 0
    first, second = (r["events"][0][1] for r in records if r["function"] == "use")
    assert first == {"box": "Box()"} and second == {"box": "Box(items=[1, 'a'])"}


def test_a_generator_left_suspended_is_written_unfinished(tmp_path: Path) -> None:
    source = "def count():\n    n = 0\n    while True:\n        yield n\n        n += 1\n\n"
    (tmp_path / "prog.py").write_text(source + "g = count()\nnext(g)\nnext(g)\n")
    records, _ = run_tracer(tmp_path, "script", "prog.py")
    count = next(r for r in records if r["function"] == "count")
    assert count["truncated"] == ["unfinished"]
    assert [e[0] for e in count["events"]] == [
        "call", "line", "line", "line", "return", "call", "line", "line", "line", "return"
    ]  # fmt: skip
    assert count["events"][-1] == ["return", None, "        yield n", "1"]
