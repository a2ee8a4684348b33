"""Parity of ``decide(..., semantics="swebench")`` with the official SWE-bench harness.

Compares against ``swebench.harness.grading`` (``get_eval_tests_report`` +
``get_resolution_status``) and the official pytest log parser, on real pytest ``-rA`` logs,
hand-built logs and seeded random logs in the harness's format (``pytest -rA``, no ``-v``).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from swebench.harness.constants import FAIL_TO_PASS, PASS_TO_PASS, ResolvedStatus
from swebench.harness.grading import get_eval_tests_report, get_resolution_status
from swebench.harness.log_parsers.python import parse_log_pytest

from rewards.parsers import TestStatus, parse_pytest_log
from rewards.verdict import decide

LOGS = Path(__file__).parent / "data" / "logs"
SAMPLE = "tests/test_sample.py::"


def read(name: str) -> str:
    return (LOGS / name).read_text(encoding="utf-8")


def official_report(status_map: dict[str, str], f2p: list[str], p2p: list[str]) -> dict:
    return get_eval_tests_report(status_map, {FAIL_TO_PASS: f2p, PASS_TO_PASS: p2p})


def official_resolved(log: str, f2p: list[str], p2p: list[str]) -> bool:
    status_map = parse_log_pytest(log, None)  # the test_spec argument is unused
    report = official_report(status_map, f2p, p2p)
    return get_resolution_status(report) == ResolvedStatus.FULL.value


def ours_resolved(log: str, f2p: list[str], p2p: list[str]) -> bool:
    return decide(parse_pytest_log(log), f2p, p2p, semantics="swebench").resolved


# --- grading logic on status maps: exhaustive over small cases ---

OFFICIAL_STATUSES = ["PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL", None]  # None: absent


@pytest.mark.parametrize(("n_f2p", "n_p2p"), list(itertools.product(range(3), range(3))))
def test_grading_matches_official_for_every_status_combination(n_f2p: int, n_p2p: int) -> None:
    ids = [f"tests/t.py::test_{i}" for i in range(n_f2p + n_p2p)]
    f2p, p2p = ids[:n_f2p], ids[n_f2p:]
    for combo in itertools.product(OFFICIAL_STATUSES, repeat=len(ids)):
        status_map = {i: s for i, s in zip(ids, combo, strict=True) if s is not None}
        report = official_report(status_map, f2p, p2p)
        expected = get_resolution_status(report) == ResolvedStatus.FULL.value
        typed = {k: TestStatus(v) for k, v in status_map.items()}
        verdict = decide(typed, f2p, p2p, semantics="swebench")
        assert verdict.resolved == expected, (combo, report)
        assert verdict.fail_to_pass.passed == report[FAIL_TO_PASS]["success"]
        assert verdict.fail_to_pass.failed == report[FAIL_TO_PASS]["failure"]
        assert verdict.pass_to_pass.passed == report[PASS_TO_PASS]["success"]
        assert verdict.pass_to_pass.failed == report[PASS_TO_PASS]["failure"]


# --- end to end on logs ---

RA = read("pytest_ra_tb_no.log")
RA_SHORT = read("pytest_ra_tb_short.log")
INJECTION = read("pytest_spoof_injection.log")
COLLISION = (
    "PASSED tests/t.py::test_f[a b]\n"
    "PASSED tests/t.py::test_g[k v]\n"
    "SKIPPED [1] tests/t.py:9: unsupported\n"
    "XFAIL tests/t.py::test_g[k w] - known\n"
    "FAILED tests/t.py::test_f[a c] - assert 0\n"
)
TEARDOWN = "PASSED tests/t.py::test_a\nPASSED tests/t.py::test_b\nERROR tests/t.py::test_a - boom\n"
COLLECTION = "ERROR tests/test_x.py - ImportError: no module named foo\n1 error in 0.1s\n"

CASES = [
    pytest.param(
        RA,
        [SAMPLE + "test_pass", SAMPLE + "test_param[1]"],
        [SAMPLE + "TestGroup::test_method_ok", "tests/pkg/test_nested.py::test_module_level"],
        True,
        id="real-all-listed-pass",
    ),
    pytest.param(RA, [SAMPLE + "test_fail"], [SAMPLE + "test_pass"], False, id="real-f2p-fails"),
    pytest.param(
        RA, [SAMPLE + "test_pass"], [SAMPLE + "test_param[2]"], False, id="real-p2p-fails"
    ),
    pytest.param(RA, [SAMPLE + "test_gone"], [SAMPLE + "test_pass"], False, id="real-f2p-missing"),
    pytest.param(RA, [SAMPLE + "test_error"], [], False, id="real-f2p-error"),
    pytest.param(RA, [SAMPLE + "test_pass"], [SAMPLE + "test_skipped"], False, id="real-p2p-skip"),
    pytest.param(
        RA,
        [SAMPLE + "test_param_spaces[a", SAMPLE + "test_param_spaces[x"],
        [SAMPLE + "test_pass"],
        True,
        id="real-truncated-param-ids",
    ),
    pytest.param(RA, [SAMPLE + "test_param_spaces[c-d]"], [], False, id="real-param-fails"),
    pytest.param(RA, [SAMPLE + "test_xfail"], [SAMPLE + "test_pass"], True, id="real-f2p-xfail"),
    pytest.param(RA, [SAMPLE + "test_xpass"], [SAMPLE + "test_pass"], False, id="real-f2p-xpass"),
    pytest.param(RA, [], [SAMPLE + "test_pass"], True, id="real-empty-f2p"),
    pytest.param(RA, [], [SAMPLE + "test_fail"], False, id="real-empty-f2p-p2p-fails"),
    pytest.param(RA_SHORT, [SAMPLE + "test_fail"], [], False, id="real-printed-spoof"),
    pytest.param(
        RA_SHORT,
        [SAMPLE + "test_pass"],
        [SAMPLE + "TestGroup::test_method_bad"],
        False,
        id="spoof2",
    ),
    pytest.param(INJECTION, ["tests/test_target.py::test_target"], [], False, id="injection"),
    pytest.param(INJECTION, ["tests/test_target.py::test_injector"], [], True, id="injector"),
    pytest.param(COLLISION, ["tests/t.py::test_f[a"], [], False, id="truncation-collision-fail"),
    pytest.param(COLLISION, ["tests/t.py::test_g[k"], [], True, id="truncation-collision-xfail"),
    pytest.param(TEARDOWN, ["tests/t.py::test_b"], ["tests/t.py::test_a"], False, id="teardown"),
    pytest.param(COLLECTION, ["tests/test_x.py::test_a"], [], False, id="collection-error"),
    pytest.param("", ["tests/t.py::test_a"], [], False, id="empty-log"),
]


@pytest.mark.parametrize(("log", "f2p", "p2p", "expected"), CASES)
def test_resolution_matches_official_on_logs(
    log: str, f2p: list[str], p2p: list[str], expected: bool
) -> None:
    assert official_resolved(log, f2p, p2p) is expected
    assert ours_resolved(log, f2p, p2p) is expected


# --- seeded random logs in the harness format ---

_NAMES = [
    "test_plain",
    "TestK::test_method",
    "test_p[1]",
    "test_p[2]",
    "test_s[a b]",
    "test_s[a c]",
    "test_d[x - y]",
    "test_d[x - z]",
    "test_q[only one]",
]
_REASONS = {"ERROR": " - RuntimeError: setup", "FAILED": " - assert 1 == 2", "XFAIL": " - bug"}
_RA_ORDER = ["PASSED", "SKIPPED", "XFAIL", "XPASS", "ERROR", "FAILED"]


def _random_case(rng: random.Random) -> tuple[str, list[str], list[str]]:
    ids = [f"tests/test_r.py::{name}" for name in _NAMES]
    outcome = {i: rng.choice([*_RA_ORDER, None]) for i in ids}
    lines = ["tests/test_r.py .F.sx [100%]"]
    if outcome[ids[0]] != "XPASS":  # see test_known_divergence_spoof_then_xpass
        lines.append(f"PASSED {ids[0]}")  # printed by a test, before the summary
    lines.append("=" * 20 + " short test summary info " + "=" * 20)
    for status in _RA_ORDER:
        for test_id in ids:
            if outcome[test_id] != status:
                continue
            if status == "SKIPPED":
                lines.append("SKIPPED [1] tests/test_r.py:3: skipped")
            else:
                lines.append(f"{status} {test_id}{_REASONS.get(status, '')}")
    listed = sorted({i.split()[0] for i in ids} | {"tests/test_r.py::test_never"})
    rng.shuffle(listed)
    cut_a, cut_b = sorted(rng.sample(range(len(listed) + 1), 2))
    f2p = listed[:cut_a] if rng.random() < 0.9 else []
    p2p = listed[cut_a:cut_b]
    return "\n".join(lines) + "\n", f2p, p2p


def test_resolution_matches_official_on_random_logs() -> None:
    rng = random.Random(20240917)
    outcomes = {True: 0, False: 0}
    for _ in range(3000):
        log, f2p, p2p = _random_case(rng)
        expected = official_resolved(log, f2p, p2p)
        assert ours_resolved(log, f2p, p2p) is expected, (log, f2p, p2p)
        outcomes[expected] += 1
    assert min(outcomes.values()) > 50  # both outcomes are exercised


def test_known_divergence_spoof_then_xpass() -> None:
    # The official parser ignores XPASS lines, so a PASSED line printed earlier by test code
    # survives; our parser keeps the genuine (later) XPASS report, which counts as failed.
    log = "PASSED tests/t.py::test_a\n=== short test summary info ===\nXPASS tests/t.py::test_a\n"
    assert official_resolved(log, ["tests/t.py::test_a"], []) is True
    assert ours_resolved(log, ["tests/t.py::test_a"], []) is False
