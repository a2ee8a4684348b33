"""swe-env's execution tracer: copied into a task container at trace time (never imported on
the host), run by the container's Python (3.9+, standard library only), then removed.

One trace is one call of one function: a call event (the arguments), a line event per line
about to run (the locals then; ``".."`` when unchanged), then a return or exception event.
Callees get their own traces; a generator is one (yield: a return event; resumption: a call
event). Repeated line events on one line show once, so 3.9 to 3.13 give the same traces
(``sys.settrace`` everywhere). Only files under ``--root`` are traced, never site-packages,
test files, comprehensions or lambdas, unless asked. Modes: ``test``, ``function``,
``script``. Limits: docs/architecture.md ("Execution traces"). Last line: the summary.
"""

from __future__ import annotations

import argparse
import ast
import json
import linecache
import os
import re
import reprlib
import sys

FORMAT_VERSION = 1
UNCHANGED = ".."
_TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$|conftest\.py$")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
_YIELDS = {"YIELD_VALUE", "YIELD_FROM"}
_SKIP = object()
_STDLIB = os.path.dirname(os.__file__) + os.sep


class _Repr(reprlib.Repr):
    def __init__(self, limit):
        super().__init__()
        self.maxlevel = 4
        self.maxstring = self.maxlong = self.maxother = 2 * limit + 8  # then the tracer cuts
        for kind in ("list", "tuple", "set", "frozenset", "deque", "array", "dict"):
            setattr(self, "max" + kind, 32)

    def repr_instance(self, x, level):
        # A __repr__ in Python runs only if generated (dataclasses) or the standard library's:
        # the repository's may have side effects, and tracing must not change the run.
        code = getattr(getattr(type(x), "__repr__", None), "__code__", None)
        path = code.co_filename if code is not None else "<>"
        if path.startswith("<") or (path.startswith(_STDLIB) and "-packages" not in path):
            return super().repr_instance(x, level)
        try:  # its attributes instead, read without running any of its code
            attrs = object.__getattribute__(x, "__dict__")
        except Exception:
            attrs = None
        if type(attrs) is not dict or level <= 0:
            return f"<{type(x).__module__}.{type(x).__qualname__} object>"
        body = [f"{k}={self.repr1(v, level - 1)}" for k, v in list(attrs.items())[:32]]
        return f"{type(x).__qualname__}({', '.join(body)}{', ...' if len(attrs) > 32 else ''})"


class _Trace:
    """The events of one call of one function, in the tracer's JSON shape."""

    def __init__(self, tracer, frame, info, call_index):
        self.tracer, self.frame, self.info = tracer, frame, info
        self.test, self.call_index = tracer.test, call_index
        self.events, self.seen, self.prev, self.truncated = [], 0, {}, set()
        self.last_line, self.last_kind, self.raised = None, None, False

    def add(self, kind, frame, value=None):
        self.seen += 1
        self.last_kind, self.raised = kind, self.raised and kind != "call"
        lineno = self.info["line"] if kind == "call" and not self.events else frame.f_lineno
        if len(self.events) >= self.tracer.max_events:
            self.truncated.add("events")
            return
        text = linecache.getline(self.info["path"], lineno).rstrip("\r\n")
        if kind in ("call", "line"):
            self.events.append([kind, self.state(frame), text])
        else:
            self.events.append([kind, None, text, self.tracer.value(value, self)])

    def state(self, frame):
        now, shown = {}, {}
        for name, val in frame.f_locals.items():
            if name.startswith(".") or (name.startswith("__") and name.endswith("__")):
                continue
            now[name] = text = self.tracer.value(val, self)
            shown[name] = UNCHANGED if self.prev.get(name) == text else text
        self.prev = now
        return shown

    def local(self, frame, event, arg):
        tracer = self.tracer
        if tracer.stopped:
            return None
        if event == "line":
            if not (self.last_line == frame.f_lineno and self.last_kind == "line"):
                self.add("line", frame)
            self.last_line, self.raised = frame.f_lineno, False
        elif event == "exception":
            if arg[0] is StopIteration and frame.f_code.co_flags & 0x2A0:
                return self.local  # a generator's own plumbing (yield from), 3.12+ only
            self.add("exception", frame, arg[1])
            self.raised = True
        elif event == "return":
            yielded = tracer.is_yield(frame)
            if not self.raised:
                self.add("return", frame, arg)
            if not yielded:
                tracer.finish(self)
            self.last_line = None
        return self.local

    def record(self, unfinished=False):
        record = {k: v for k, v in self.info.items() if k != "path"}
        truncated = sorted(self.truncated | ({"unfinished"} if unfinished else set()))
        record.update(format_version=FORMAT_VERSION, test=self.test, call_index=self.call_index)
        record.update(events=self.events, event_count=self.seen, truncated=truncated)
        return record


class Tracer:
    """The ``sys.settrace`` hooks, the scope filter, the limits and the output file."""

    def __init__(self, out, root, opts):
        # Open for the whole run (closed by close()): no context manager spans the hooks.
        self.out = open(out, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        self.root = os.path.realpath(root) + os.sep
        self.max_events, self.max_value = opts.max_events, opts.max_value
        self.max_bytes, self.per_function = opts.max_bytes, opts.per_function
        self.max_traces = opts.max_traces
        self.outside, self.tests = opts.include_outside, opts.include_tests
        self.script = None
        self.repr = _Repr(opts.max_value).repr
        self.codes, self.active, self.calls = {}, {}, {}
        self.test, self.stopped = None, False
        self.stats = {"traces": 0, "skipped": 0, "bytes": 0, "stopped": False}

    def _describe(self, code):
        path = code.co_filename
        if path == __file__ or (path.startswith("<") and path != self.script):
            return None
        real = os.path.realpath(path)
        rel = real[len(self.root) :] if real.startswith(self.root) else None
        packaged = "site-packages" in real or "dist-packages" in real
        if not self.outside and (rel is None or packaged):
            return None
        if not self.tests and rel is not None and _TEST_FILE.search(rel):
            return None
        module = code.co_name == "<module>" and real == self.script
        if code.co_name.startswith("<") and not module:
            return None
        return _source(code, path, rel or real, module)

    def dispatch(self, frame, event, arg):
        if self.stopped or event != "call":
            return None
        info = self.codes.get(frame.f_code, _SKIP)
        if info is _SKIP:
            info = self.codes[frame.f_code] = self._describe(frame.f_code)
        if info is None:
            return None
        trace = self.active.get(id(frame))
        if trace is not None and trace.frame is frame:  # a generator resumed
            trace.add("call", frame)
            return trace.local
        key = (self.test, frame.f_code)
        count = self.calls[key] = self.calls.get(key, 0) + 1
        if count > self.per_function or self.stats["traces"] >= self.max_traces:
            self.stats["skipped"] += 1
            return None
        trace = self.active[id(frame)] = _Trace(self, frame, info, count - 1)
        trace.add("call", frame)
        return trace.local

    def is_yield(self, frame):
        ops, at = frame.f_code.co_code, frame.f_lasti
        if not frame.f_code.co_flags & 0x2A0 or not 0 <= at < len(ops):  # not a generator
            return False
        import dis

        name = dis.opname[ops[at]]
        if name == "RESUME" and at >= 2:  # 3.13 stops just after the yield
            name = dis.opname[ops[at - 2]]
        elif name not in _YIELDS and at + 2 < len(ops):  # 3.9 stops just before yield from
            name = dis.opname[ops[at + 2]]
        return name in _YIELDS

    def value(self, val, trace):
        try:
            text = self.repr(val)
        except Exception as exc:  # a broken __repr__ is the code's, not the tracer's
            text = f"<repr failed: {type(exc).__name__}>"
        if " at 0x" in text:  # addresses differ from run to run: never worth predicting
            text = _ADDRESS.sub(">", text)
        sized = type(val) in (list, tuple, set, frozenset, dict)
        if len(text) > self.max_value or (sized and len(val) > 32):
            trace.truncated.add("value")
            if len(text) > self.max_value:
                text = text[: max(0, self.max_value - 3)] + "..."
        return text

    def finish(self, trace, unfinished=False):
        self.active.pop(id(trace.frame), None)
        if self.stopped:
            return
        line = json.dumps(trace.record(unfinished), ensure_ascii=False) + "\n"
        size = len(line.encode("utf-8", "backslashreplace"))
        if self.stats["bytes"] + size > self.max_bytes:
            self.stop()
            return
        self.out.write(line)
        stats = self.stats
        stats["bytes"], stats["traces"] = stats["bytes"] + size, stats["traces"] + 1

    def stop(self):
        self.stopped = self.stats["stopped"] = True
        sys.settrace(None)

    def begin(self, test):
        self.test = test
        if not self.stopped:
            sys.settrace(self.dispatch)

    def end(self):
        sys.settrace(None)
        for trace in list(self.active.values()):
            self.finish(trace, unfinished=True)
        self.test = None

    def close(self, **extra):
        self.end()
        self.stats.update(extra, python=sys.version.split()[0])
        self.out.write(json.dumps({"summary": self.stats}) + "\n")
        self.out.close()


def _source(code, path, name, module):
    """What a trace shows of ``code``: its lines, the first one's number, the def line."""
    lines = linecache.getlines(path)
    if module:
        first, block = 1, lines
    else:
        import inspect

        try:
            block, first = inspect.getsourcelines(code)
        except (OSError, TypeError, IndexError):
            block, first = lines[code.co_firstlineno - 1 : code.co_firstlineno], code.co_firstlineno
    defs = [i for i, text in enumerate(block) if text.lstrip().startswith(("def ", "async def "))]
    start = first + defs[0] if defs and not module else first
    qualname = getattr(code, "co_qualname", None) or _qualnames(path).get(start, code.co_name)
    qualname = "<module>" if module else qualname
    source = "".join(block)
    return {"path": path, "file": name, "function": qualname, "source": source, "line": start,
            "source_line": first}  # fmt: skip


_QUALNAMES = {}


def _qualnames(path):
    """``def`` line -> qualified name, from the file's syntax tree (3.9 and 3.10 have no
    ``co_qualname``)."""
    if path not in _QUALNAMES:
        names = _QUALNAMES[path] = {}
        try:
            todo = [(ast.parse("".join(linecache.getlines(path))), "")]
        except (SyntaxError, ValueError):
            todo = []
        while todo:
            node, prefix = todo.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = prefix + child.name
                    if not isinstance(child, ast.ClassDef):
                        names[child.lineno] = name
                        name += ".<locals>"
                    todo.append((child, name + "."))
                else:
                    todo.append((child, prefix))
    return _QUALNAMES[path]


def _pytest_plugin(tracer, select):
    import pytest

    class TracePlugin:
        def pytest_collection_modifyitems(self, session, config, items):
            dropped = [i for i in items if select is not None and i.nodeid not in select]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = [i for i in items if i.nodeid in select]

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_protocol(self, item, nextitem):
            tracer.begin(item.nodeid)
            try:
                yield
            finally:
                tracer.end()

    return TracePlugin()


def run_test(tracer, opts):
    import pytest

    select = None
    if opts.select:
        with open(opts.select, encoding="utf-8") as fh:
            select = {line.strip() for line in fh if line.strip()}
    code = pytest.main(list(opts.rest), plugins=[_pytest_plugin(tracer, select)])
    return {"exit_code": int(code)}


def run_function(tracer, opts):
    import importlib

    module_name, _, qualname = opts.target.partition(":")
    target = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    args = ast.literal_eval(opts.args) if opts.args else ()
    kwargs = ast.literal_eval(opts.kwargs) if opts.kwargs else {}
    tracer.begin(None)
    try:
        result = target(*args, **kwargs)
    except Exception as exc:  # the traced function's exception is part of its trace
        return {"raised": repr(exc)[:200]}
    finally:
        sys.settrace(None)
    return {"result": repr(result)[:200]}


def run_script(tracer, opts):
    import runpy

    path = os.path.realpath(opts.target)
    tracer.script = path
    sys.argv = [path, *opts.rest]
    sys.path.insert(0, os.path.dirname(path))
    tracer.begin(None)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        return {"exit_code": exc.code if isinstance(exc.code, int) else int(exc.code is not None)}
    finally:
        sys.settrace(None)
    return {"exit_code": 0}


_LIMITS = (
    ("--max-events", 1000, "Events kept per trace."),
    ("--max-value", 200, "Characters per value."),
    ("--max-bytes", 64 << 20, "Bytes of output in all."),
    ("--per-function", 2, "Traces of one function per test."),
    ("--max-traces", 20000, "Traces per run."),
)


def _parser():
    p = argparse.ArgumentParser(description="Trace Python calls in CWM's format (JSON lines).")
    p.add_argument("--out", required=True, help="The JSON lines file to write.")
    p.add_argument("--root", default=os.getcwd(), help="Trace files under this directory.")
    for name, default, text in _LIMITS:
        p.add_argument(name, type=int, default=default, help=text)
    p.add_argument("--include-outside", action="store_true", help="Trace every file.")
    p.add_argument("--include-tests", action="store_true", help="Trace test files too.")
    p.add_argument("--select", help="test mode: a file of test ids to run (one a line).")
    p.add_argument("--args", help="function mode: positional arguments, a Python literal.")
    p.add_argument("--kwargs", help="function mode: keyword arguments, a Python literal.")
    p.add_argument("mode", choices=("test", "function", "script"))
    p.add_argument("target", nargs="?", help="module:qualname (function) or a path (script).")
    return p


def main(argv=None):
    """``tracer.py [options] MODE [TARGET] [-- ARGS...]``: ARGS go to pytest or the script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    at = argv.index("--") if "--" in argv else len(argv)
    argv, rest = argv[:at], argv[at + 1 :]
    opts = _parser().parse_args(argv)
    opts.rest = rest
    if opts.mode != "test" and not opts.target:
        _parser().error(f"{opts.mode} mode needs a target")
    root = os.path.realpath(opts.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    tracer = Tracer(opts.out, root, opts)
    runner = {"test": run_test, "function": run_function, "script": run_script}[opts.mode]
    outcome = {}
    try:
        outcome = runner(tracer, opts)
    finally:
        tracer.close(mode=opts.mode, **outcome)
    return outcome.get("exit_code", 0) if opts.mode != "function" else 0


if __name__ == "__main__":
    sys.exit(main())
