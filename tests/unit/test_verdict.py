"""Unit tests for rewards.verdict.decide under both semantics."""

from __future__ import annotations

import dataclasses

import pytest

from rewards.parsers import TestStatus
from rewards.verdict import TestBreakdown, Verdict, decide

P = TestStatus.PASSED
F = TestStatus.FAILED
E = TestStatus.ERROR
S = TestStatus.SKIPPED
XF = TestStatus.XFAIL
XP = TestStatus.XPASS

BOTH = pytest.mark.parametrize("semantics", ["strict", "swebench"])


@BOTH
def test_all_pass_is_resolved(semantics: str) -> None:
    verdict = decide({"a": P, "b": P, "c": P}, ["a"], ["b", "c"], semantics=semantics)
    assert verdict.resolved
    assert verdict.fail_to_pass == TestBreakdown(passed=["a"], failed=[])
    assert verdict.pass_to_pass == TestBreakdown(passed=["b", "c"], failed=[])
    assert verdict.missing == []
    assert verdict.semantics == semantics


@BOTH
def test_missing_f2p_is_unresolved(semantics: str) -> None:
    verdict = decide({"b": P}, ["a"], ["b"], semantics=semantics)
    assert not verdict.resolved
    assert verdict.fail_to_pass.failed == ["a"]
    assert verdict.missing == ["a"]


@BOTH
def test_missing_p2p_is_unresolved(semantics: str) -> None:
    verdict = decide({"a": P}, ["a"], ["gone"], semantics=semantics)
    assert not verdict.resolved
    assert verdict.pass_to_pass.failed == ["gone"]
    assert verdict.missing == ["gone"]


@BOTH
@pytest.mark.parametrize("bad", [F, E, XP])
def test_failing_statuses(semantics: str, bad: TestStatus) -> None:
    assert not decide({"a": bad, "b": P}, ["a"], ["b"], semantics=semantics).resolved
    assert not decide({"a": P, "b": bad}, ["a"], ["b"], semantics=semantics).resolved


def test_skipped_p2p_strict_fails() -> None:
    verdict = decide({"a": P, "b": S}, ["a"], ["b"], semantics="strict")
    assert not verdict.resolved
    assert verdict.pass_to_pass == TestBreakdown(passed=[], failed=["b"])


def test_skipped_p2p_swebench_is_neutral() -> None:
    verdict = decide({"a": P, "b": S}, ["a"], ["b"], semantics="swebench")
    assert verdict.resolved
    assert verdict.pass_to_pass == TestBreakdown(passed=[], failed=[], neutral=["b"])
    assert verdict.missing == []


def test_skipped_f2p() -> None:
    assert not decide({"a": S}, ["a"], [], semantics="strict").resolved
    # Official get_resolution_status: skipped F2P tests are in neither list, so a list made
    # only of skipped tests yields a fail-to-pass rate of 1 and the instance is resolved.
    swe = decide({"a": S}, ["a"], [], semantics="swebench")
    assert swe.resolved
    assert swe.fail_to_pass.neutral == ["a"]
    # ... but any genuinely failing F2P test still blocks it.
    assert not decide({"a": S, "b": F}, ["a", "b"], [], semantics="swebench").resolved


def test_xfail_handling() -> None:
    assert not decide({"a": XF}, ["a"], [], semantics="strict").resolved
    assert decide({"a": XF}, ["a"], [], semantics="swebench").resolved
    assert not decide({"a": P, "b": XF}, ["a"], ["b"], semantics="strict").resolved
    assert decide({"a": P, "b": XF}, ["a"], ["b"], semantics="swebench").resolved


def test_empty_f2p() -> None:
    assert not decide({"b": P}, [], ["b"], semantics="strict").resolved
    assert not decide({}, [], [], semantics="strict").resolved
    # Official harness: an empty FAIL_TO_PASS list counts as a rate of 1.
    assert decide({"b": P}, [], ["b"], semantics="swebench").resolved
    assert not decide({"b": F}, [], ["b"], semantics="swebench").resolved


def test_truncated_ids_only_under_swebench() -> None:
    statuses = {"t.py::f[a b]": P, "t.py::g[x - y]": P}
    strict = decide(statuses, ["t.py::f[a"], ["t.py::g[x"], semantics="strict")
    assert not strict.resolved
    assert strict.missing == ["t.py::f[a", "t.py::g[x"]
    swe = decide(statuses, ["t.py::f[a"], ["t.py::g[x"], semantics="swebench")
    assert swe.resolved
    assert swe.missing == []


def test_truncated_id_collision_takes_status_printed_last() -> None:
    statuses = {"t.py::f[a b]": P, "t.py::f[a c]": F}
    assert not decide(statuses, ["t.py::f[a"], [], semantics="swebench").resolved
    statuses = {"t.py::f[a b]": P, "t.py::f[a c]": XF}
    assert decide(statuses, ["t.py::f[a"], [], semantics="swebench").resolved


def test_exact_match_wins_over_truncation() -> None:
    statuses = {"t.py::f": P, "t.py::f extra": F}
    assert decide(statuses, ["t.py::f"], [], semantics="swebench").resolved


def test_full_id_with_spaces_still_matches_exactly() -> None:
    assert decide({"t.py::f[a b]": P}, ["t.py::f[a b]"], [], semantics="strict").resolved


def test_string_statuses_are_accepted() -> None:
    verdict = decide({"a": "PASSED", "b": "XFAIL"}, ["a"], ["b"], semantics="swebench")  # type: ignore[dict-item]
    assert verdict.resolved


def test_unknown_status_string_raises() -> None:
    with pytest.raises(ValueError):
        decide({"a": "WEIRD"}, ["a"], [])  # type: ignore[dict-item]


def test_unknown_semantics_raises() -> None:
    with pytest.raises(ValueError, match="semantics"):
        decide({}, ["a"], [], semantics="lenient")  # type: ignore[arg-type]


def test_missing_is_deduplicated_and_ordered() -> None:
    verdict = decide({}, ["z", "a", "z"], ["a", "m"])
    assert verdict.missing == ["z", "a", "m"]
    assert verdict.fail_to_pass.failed == ["z", "a", "z"]  # list order kept, as upstream


def test_breakdown_properties() -> None:
    breakdown = TestBreakdown(passed=["a"], failed=["b"], neutral=["c"])
    assert breakdown.total == 3
    assert not breakdown.all_passed
    assert TestBreakdown(passed=["a"], failed=[], neutral=["c"]).all_passed


def test_verdict_is_frozen() -> None:
    verdict = decide({"a": P}, ["a"], [])
    assert isinstance(verdict, Verdict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.resolved = False  # type: ignore[misc]


def test_accepts_any_iterables() -> None:
    verdict = decide({"a": P, "b": P}, iter(["a"]), ("b",))
    assert verdict.resolved
