"""pytest's console output: ``-rA`` short-summary lines and verbose progress lines."""

from __future__ import annotations

import re

from rewards.parsers.status import StatusMap, TestStatus, clean_lines

_STATUS_WORDS = "PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS"
_PYTEST_SUMMARY_RE = re.compile(rf"^(?P<status>{_STATUS_WORDS}) (?P<rest>[^\s\[(].*)$")
_PYTEST_VERBOSE_RE = re.compile(
    rf"^(?P<id>\S*::.*?) (?P<status>{_STATUS_WORDS})(?: \(.*\))?(?:\s+\[\s*\d+%\])?$"
)
_XDIST_PREFIX_RE = re.compile(r"^\[gw\d+\] \[\s*\d+%\] ")


def _split_node_id(rest: str) -> str:
    """Cut ``id - message`` at the first `` - `` that lies outside the id's brackets."""
    start = 0
    while True:
        cut = rest.find(" - ", start)
        if cut < 0:
            return rest.strip()
        head = rest[:cut]
        if head.count("[") <= head.count("]"):
            return head.strip()
        start = cut + 1


def parse_pytest_log(log: str) -> StatusMap:
    """Parse pytest console output into ``{node_id: status}``.

    Two line shapes are recognised, after ANSI codes are removed:

    * short-summary lines printed by ``-rA``: ``PASSED tests/x.py::t``,
      ``FAILED tests/x.py::t - message``, ``ERROR tests/x.py - message``, ``XFAIL ...``,
      ``XPASS ...`` (also with pytest-xdist's ``[gw0] [ 50%]`` prefix);
    * verbose progress lines: ``tests/x.py::t PASSED [ 50%]``,
      ``tests/x.py::t SKIPPED (reason) [ 60%]``.

    Node ids keep their parameters, including spaces (``test_f[a b]``). ``SKIPPED [1]
    file:line: reason`` summary lines name no node id and are ignored, so a skipped test only
    appears when verbose lines are present. When a test is reported more than once the last
    report wins, which lets the final summary override anything printed earlier.
    """
    statuses: StatusMap = {}
    for raw in clean_lines(log):
        line = _XDIST_PREFIX_RE.sub("", raw)
        match = _PYTEST_SUMMARY_RE.match(line)
        if match:
            node_id = _split_node_id(match["rest"])
        else:
            match = _PYTEST_VERBOSE_RE.match(line)
            if not match:
                continue
            node_id = match["id"].strip()
        if node_id:
            statuses[node_id] = TestStatus(match["status"])
    return statuses
