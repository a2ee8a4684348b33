"""SymPy's ``bin/test --verbose`` output."""

from __future__ import annotations

import re

from rewards.parsers.status import StatusMap, TestStatus, clean_lines, merge

# ``test_name ok``/``F``/``E``/``f``/``X``; skips and timeouts may carry a message first.
_SYMPY_LINE_RE = re.compile(
    r"^(?P<name>test_\w+) (?:(?P<mark>ok|F|E|f|X)|(?:.* )?(?P<skip>[sKwT]))(?:\s+\[(?:OK|FAIL)\])?$"
)
# Traceback headers: ``path:name`` for exceptions, ``path::name`` for failures.
_SYMPY_HEADER_RE = re.compile(r"^_*\s*(?P<path>\S+\.py)(?P<sep>::?)(?P<name>test_\w+)\s*_*$")
_SYMPY_MARKS = {
    "ok": TestStatus.PASSED,
    "F": TestStatus.FAILED,
    "E": TestStatus.ERROR,
    "T": TestStatus.ERROR,  # timeout
    "f": TestStatus.XFAIL,
    "X": TestStatus.XPASS,
    "s": TestStatus.SKIPPED,
    "K": TestStatus.SKIPPED,  # interrupted
    "w": TestStatus.SKIPPED,  # slow test not run
}


def parse_sympy_log(log: str) -> StatusMap:
    """Parse ``bin/test --verbose`` output of SymPy into ``{test_function_name: status}``.

    Verbose SymPy prints one ``test_name <mark>`` line per test, where the mark is ``ok``,
    ``F`` (failed), ``E`` (exception), ``T`` (timeout), ``f`` (expected failure), ``X``
    (unexpected pass) or ``s``/``K``/``w`` (skipped; a skip message may precede the mark).
    The last test of a file carries a right-aligned ``[OK]``/``[FAIL]``, which is ignored.

    Keys are bare function names, as in SWE-bench's SymPy task lists; if two files define the
    same name the worse outcome is kept. Traceback headers mark a test even when its progress
    line is missing: ``___ sympy/core/tests/test_x.py::test_y ___`` (a failure) gives FAILED,
    ``___ sympy/core/tests/test_x.py:test_y ___`` (an exception) ERROR.
    """
    statuses: StatusMap = {}
    for line in clean_lines(log):
        stripped = line.strip()
        match = _SYMPY_LINE_RE.match(stripped)
        if match:
            merge(statuses, match["name"], _SYMPY_MARKS[match["mark"] or match["skip"]])
            continue
        header = _SYMPY_HEADER_RE.match(stripped)
        if header:
            failed = header["sep"] == "::"
            merge(statuses, header["name"], TestStatus.FAILED if failed else TestStatus.ERROR)
    return statuses
