"""What every parser returns: :class:`TestStatus` per test id, and the helpers the parsers
share (merging two reports of one test, cleaning a console log)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum


class TestStatus(StrEnum):
    """Outcome of one test case. Values match the strings used by the SWE-bench harness."""

    __test__ = False  # not a pytest test class, despite the name

    PASSED = "PASSED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"
    XFAIL = "XFAIL"
    XPASS = "XPASS"


StatusMap = dict[str, TestStatus]

# Order in which pytest's ``-rA`` summary prints its categories (passed first, failed last).
# Used to merge several reports for one id: the one pytest would print last wins.
_SEVERITY: dict[TestStatus, int] = {
    TestStatus.PASSED: 0,
    TestStatus.SKIPPED: 1,
    TestStatus.XFAIL: 2,
    TestStatus.XPASS: 3,
    TestStatus.ERROR: 4,
    TestStatus.FAILED: 5,
}

_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """Remove ANSI colour and cursor escape sequences from ``text``."""
    return _ANSI_RE.sub("", text)


def worse(a: TestStatus, b: TestStatus) -> TestStatus:
    """Return whichever of two statuses pytest would list later in its ``-rA`` summary."""
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def merge(statuses: StatusMap, key: str, status: TestStatus) -> None:
    """Record ``status`` for ``key``, keeping the worse outcome if one is already there."""
    previous = statuses.get(key)
    statuses[key] = status if previous is None else worse(previous, status)


def clean_lines(log: str) -> Iterator[str]:
    """The lines of ``log`` without ANSI codes or trailing blanks."""
    for line in strip_ansi(log).splitlines():
        yield line.rstrip()
