"""Decide whether a task is resolved from a status map and its FAIL_TO_PASS/PASS_TO_PASS lists.

Two rule sets are available through ``decide(..., semantics=...)``.

``"strict"`` (the default, for swe-env's own suites)
    A listed test counts as passed only when its status is exactly PASSED. XFAIL, XPASS,
    SKIPPED, FAILED, ERROR and a missing id all count as failed. Ids are matched exactly.
    The task is resolved iff FAIL_TO_PASS is non-empty and every FAIL_TO_PASS and
    PASS_TO_PASS test passed. A skipped or missing test therefore never helps the agent.

``"swebench"`` (reproduces ``swebench.harness.grading`` 4.x with ``EvalType.PASS_AND_FAIL``)
    * PASSED and XFAIL count as passed;
    * FAILED, ERROR and a missing id count as failed;
    * SKIPPED counts as neither: it is left out of both lists, so a skipped test never
      blocks resolution. (In ``pytest -rA`` logs neither the official parser nor
      :func:`~rewards.parsers.parse_pytest_log` sees a skipped test's id, so there a skipped
      listed test is missing and fails; the neutral rule bites for maps that carry SKIPPED,
      e.g. from JUnit XML, verbose pytest, Django or SymPy logs.)
    * XPASS counts as failed, because the official log parsers never emit it and the
      grader therefore sees the id as missing;
    * the task is resolved iff no FAIL_TO_PASS and no PASS_TO_PASS test failed. As in the
      official ``get_resolution_status``, an empty FAIL_TO_PASS list (or one whose tests
      were all skipped) does not prevent resolution;
    * id lookup first tries an exact match and then the official parser's truncation: its
      pytest parser keeps only the first whitespace-separated token of a node id, so
      SWE-bench lists contain ids such as ``tests/t.py::test_f[a`` for ``test_f[a b]``. Such
      a listed id matches every status key whose first token equals it and whose status is
      one the official parser records (PASSED, XFAIL, ERROR, FAILED); if several do, the
      status pytest prints last in its ``-rA`` summary wins (as in the official
      last-line-wins parsing). A listed id that itself contains whitespace is looked up
      exactly; the official pytest parser could never match it.

The FAIL_ONLY evaluation type that SWE-bench uses for a few JavaScript repositories is not
reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rewards.parsers import TestStatus, worse

__all__ = ["Semantics", "TestBreakdown", "Verdict", "decide"]

Semantics = Literal["strict", "swebench"]

_SWEBENCH_PASS = frozenset({TestStatus.PASSED, TestStatus.XFAIL})
_SWEBENCH_NEUTRAL = frozenset({TestStatus.SKIPPED})
# Statuses the official pytest parser records under a node id (it never sees XPASS lines,
# and ``-rA`` prints skips as ``SKIPPED [n] file:line``); only these take part in truncation.
_TRUNCATION_STATUSES = frozenset(
    {TestStatus.PASSED, TestStatus.XFAIL, TestStatus.ERROR, TestStatus.FAILED}
)


@dataclass(frozen=True)
class TestBreakdown:
    """Outcome of one group of listed tests (FAIL_TO_PASS or PASS_TO_PASS).

    ``passed`` and ``failed`` follow the order of the input list. ``neutral`` holds ids that
    count neither way; it is only populated under ``"swebench"`` semantics (skipped tests).
    """

    __test__ = False  # not a pytest test class, despite the name

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of listed tests in the group."""
        return len(self.passed) + len(self.failed) + len(self.neutral)

    @property
    def all_passed(self) -> bool:
        """True when no test of the group failed (neutral tests do not count)."""
        return not self.failed


@dataclass(frozen=True)
class Verdict:
    """Result of grading one attempt.

    ``missing`` lists the FAIL_TO_PASS and PASS_TO_PASS ids (deduplicated, in input order)
    for which the status map had no entry; they are also counted in the ``failed`` lists.
    """

    resolved: bool
    fail_to_pass: TestBreakdown
    pass_to_pass: TestBreakdown
    missing: list[str]
    semantics: Semantics = "strict"


def _first_token(test_id: str) -> str:
    parts = test_id.split(maxsplit=1)
    return parts[0] if parts else ""


class _Lookup:
    """Status lookup implementing the id matching rules of each semantics."""

    def __init__(self, statuses: Mapping[str, TestStatus], semantics: Semantics) -> None:
        self._statuses = statuses
        self._truncated: dict[str, TestStatus] = {}
        if semantics == "swebench":
            for key, raw_status in statuses.items():
                token = _first_token(key)
                status = TestStatus(raw_status)
                if token and token != key and status in _TRUNCATION_STATUSES:
                    previous = self._truncated.get(token)
                    self._truncated[token] = status if previous is None else worse(previous, status)

    def get(self, test_id: str) -> TestStatus | None:
        status = self._statuses.get(test_id)
        if status is None:
            status = self._truncated.get(test_id)
        return None if status is None else TestStatus(status)


def _classify(status: TestStatus | None, semantics: Semantics) -> str:
    """Return ``"passed"``, ``"failed"`` or ``"neutral"`` for one listed test."""
    if semantics == "strict":
        return "passed" if status is TestStatus.PASSED else "failed"
    if status in _SWEBENCH_PASS:
        return "passed"
    if status in _SWEBENCH_NEUTRAL:
        return "neutral"
    return "failed"


def _breakdown(
    test_ids: Iterable[str], lookup: _Lookup, semantics: Semantics, missing: dict[str, None]
) -> TestBreakdown:
    groups: dict[str, list[str]] = {"passed": [], "failed": [], "neutral": []}
    for test_id in test_ids:
        status = lookup.get(test_id)
        if status is None:
            missing.setdefault(test_id)
        groups[_classify(status, semantics)].append(test_id)
    return TestBreakdown(**groups)


def decide(
    statuses: Mapping[str, TestStatus],
    fail_to_pass: Iterable[str],
    pass_to_pass: Iterable[str],
    *,
    semantics: Semantics = "strict",
) -> Verdict:
    """Grade a status map against the FAIL_TO_PASS and PASS_TO_PASS lists.

    Args:
        statuses: map from test id to status, as returned by a parser in
            :mod:`rewards.parsers` (plain status strings such as ``"PASSED"`` are accepted).
        fail_to_pass: tests the reference patch makes pass.
        pass_to_pass: tests that passed before and must keep passing.
        semantics: ``"strict"`` or ``"swebench"``; see the module docstring.

    Returns:
        A :class:`Verdict`; ``resolved`` is the headline result.

    Raises:
        ValueError: if ``semantics`` is not one of the two supported names, or a status
            string is not a :class:`TestStatus` value.
    """
    if semantics not in ("strict", "swebench"):
        raise ValueError(f"unknown semantics {semantics!r}; expected 'strict' or 'swebench'")
    lookup = _Lookup(statuses, semantics)
    missing: dict[str, None] = {}
    f2p = _breakdown(fail_to_pass, lookup, semantics, missing)
    p2p = _breakdown(pass_to_pass, lookup, semantics, missing)
    if semantics == "strict":
        resolved = f2p.total > 0 and f2p.all_passed and p2p.all_passed
    else:
        resolved = f2p.all_passed and p2p.all_passed
    return Verdict(
        resolved=resolved,
        fail_to_pass=f2p,
        pass_to_pass=p2p,
        missing=list(missing),
        semantics=semantics,
    )
