"""Small programs and a host-side tracer run, shared by the trace tests (unit and docker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from swe_env.traces import tracer as tracer_module

TRACER = Path(tracer_module.__file__)

PROGRAM = """\
def loop(n):
    total = 0
    for i in range(n):
        total += i
    return total


def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


def risky(x):
    try:
        y = 10 // x
    except ZeroDivisionError:
        y = None
    return y


def boom(x):
    y = x + 1
    raise ValueError("bad %d" % y)


def gen(n):
    for i in range(n):
        yield i * 2
    return "done"


def outer(k):
    def add(v):
        return v + k
    return add(1)


def squares(xs):
    ys = [x * x for x in xs]
    return ys


def same(a):
    b = a
    c = 3
    return c


def main():
    loop(3)
    fact(3)
    risky(0)
    try:
        boom(1)
    except ValueError:
        pass
    list(gen(2))
    outer(5)
    squares([1, 2])
    same(1)


main()
"""


def run_tracer(root: Path, *args: str, python: str = sys.executable) -> tuple[list, dict]:
    out = root / "out.jsonl"
    cmd = [python, str(TRACER), "--out", str(out), "--root", str(root), *args]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    assert out.exists(), done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    summary = lines.pop()["summary"]
    return lines, summary
