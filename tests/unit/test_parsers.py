"""Unit tests for rewards.parsers.

The files under data/logs/ are real outputs: pytest 9.2 on pytest_sample_source.py.txt,
``python -m unittest -v`` (Python 3.8 and 3.11) on unittest_sample_source.py.txt, Django 6.1's
test runner at verbosity 2, and SymPy 1.14's verbose reporter on a small test module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rewards.parsers import (
    PARSERS,
    TestStatus,
    parse_django_log,
    parse_junit_xml,
    parse_pytest_log,
    parse_sympy_log,
    parse_unittest_log,
    strip_ansi,
    worse,
)

LOGS = Path(__file__).parent / "data" / "logs"

P = TestStatus.PASSED
F = TestStatus.FAILED
E = TestStatus.ERROR
S = TestStatus.SKIPPED
XF = TestStatus.XFAIL
XP = TestStatus.XPASS

SAMPLE = "tests/test_sample.py::"

# What pytest itself decided for tests/test_sample.py + tests/pkg/test_nested.py.
PYTEST_TRUTH: dict[str, TestStatus] = {
    "tests/pkg/test_nested.py::TestNested::TestInner::test_deep": P,
    "tests/pkg/test_nested.py::test_module_level": P,
    SAMPLE + "test_pass": P,
    SAMPLE + "test_fail": F,
    SAMPLE + "test_skipped": S,
    SAMPLE + "test_error": E,
    SAMPLE + "test_xfail": XF,
    SAMPLE + "test_xpass": XP,
    SAMPLE + "test_param[1]": P,
    SAMPLE + "test_param[2]": F,
    SAMPLE + "test_param[3]": P,
    SAMPLE + "test_param_spaces[a b]": P,
    SAMPLE + "test_param_spaces[c-d]": F,
    SAMPLE + "test_param_spaces[x - y]": P,
    SAMPLE + "TestGroup::test_method_ok": P,
    SAMPLE + "TestGroup::test_method_bad": F,
    SAMPLE + "TestGroup::test_skip_inline": S,
    SAMPLE + "test_prints_spoof": F,
}
SKIPPED_IDS = {SAMPLE + "test_skipped", SAMPLE + "TestGroup::test_skip_inline"}


def read(name: str) -> str:
    return (LOGS / name).read_text(encoding="utf-8")


def without(mapping: dict[str, TestStatus], drop: set[str]) -> dict[str, TestStatus]:
    return {k: v for k, v in mapping.items() if k not in drop}


# --- TestStatus and helpers ---


def test_status_values_are_swebench_strings() -> None:
    assert [s.value for s in TestStatus] == [
        "PASSED",
        "FAILED",
        "SKIPPED",
        "ERROR",
        "XFAIL",
        "XPASS",
    ]
    assert TestStatus("PASSED") is P
    assert P == "PASSED"


def test_worse_follows_pytest_summary_order() -> None:
    assert worse(P, F) is F
    assert worse(E, F) is F
    assert worse(S, XF) is XF
    assert worse(P, P) is P


def test_strip_ansi() -> None:
    assert strip_ansi("\x1b[32mPASSED\x1b[0m t\x1b[1m::x\x1b[0m") == "PASSED t::x"


def test_registry() -> None:
    assert set(PARSERS) == {"junit", "pytest", "unittest", "django", "sympy"}
    assert PARSERS["pytest"] is parse_pytest_log
    assert PARSERS["junit"] is parse_junit_xml


# --- JUnit XML ---

JUNIT_TRUTH = {**PYTEST_TRUTH, SAMPLE + "test_xpass": P}  # junit shows non-strict XPASS as pass


def test_junit_xunit1_real_report() -> None:
    assert parse_junit_xml(read("junit_xunit1.xml")) == JUNIT_TRUTH


def test_junit_xunit2_real_report_without_file_attribute() -> None:
    text = read("junit_xunit2_logging_all.xml")
    assert ' file="' not in text
    assert parse_junit_xml(text) == JUNIT_TRUTH


def test_junit_accepts_bytes_and_bom() -> None:
    data = (LOGS / "junit_xunit1.xml").read_bytes()
    assert parse_junit_xml(data) == JUNIT_TRUTH
    assert parse_junit_xml(b"\xef\xbb\xbf" + data) == JUNIT_TRUTH


def test_junit_ignores_captured_output_spoof() -> None:
    text = read("junit_xunit2_logging_all.xml")
    assert "PASSED tests/test_sample.py::test_fail" in text  # printed by test_prints_spoof
    statuses = parse_junit_xml(text)
    assert statuses[SAMPLE + "test_fail"] is F
    assert statuses[SAMPLE + "TestGroup::test_method_bad"] is F


def test_junit_ignores_markup_injection() -> None:
    text = read("junit_spoof_injection.xml")
    assert "&lt;testcase classname=" in text
    assert parse_junit_xml(text) == {
        "tests/test_target.py::test_target": F,
        "tests/test_target.py::test_injector": P,
    }


def test_junit_collection_error() -> None:
    assert parse_junit_xml(read("junit_collection_error.xml")) == {"tests/test_broken.py": E}
    with_file = (
        '<testsuite><testcase classname="" name="pkg.test_bad" file="pkg/test_bad.py">'
        '<error message="collection failure"/></testcase></testsuite>'
    )
    assert parse_junit_xml(with_file) == {"pkg/test_bad.py": E}


def test_junit_duplicate_cases_keep_worst() -> None:
    xml = (
        '<testsuites><testsuite><testcase classname="t.test_a" name="test_x"/></testsuite>'
        '<testsuite><testcase classname="t.test_a" name="test_x"><error/></testcase>'
        '<testcase classname="t.test_a" name="test_x"/></testsuite></testsuites>'
    )
    assert parse_junit_xml(xml) == {"t/test_a.py::test_x": E}


def test_junit_classname_heuristics() -> None:
    xml = (
        "<testsuite>"
        '<testcase classname="a.b.test_m.TestOuter.TestInner" name="test_p[1.5-x]"/>'
        '<testcase classname="test_top" name="test_q"/>'
        '<testcase classname="pkg.test_m.TestK" name="test_r" file="elsewhere/test_m.py">'
        '<skipped type="pytest.skip" message="no"/></testcase>'
        '<testcase classname="pkg.test_m" name="test_s" file="pkg/test_m.py">'
        '<skipped type="pytest.xfail" message="bug"/></testcase>'
        "</testsuite>"
    )
    assert parse_junit_xml(xml) == {
        "a/b/test_m.py::TestOuter::TestInner::test_p[1.5-x]": P,
        "test_top.py::test_q": P,
        "elsewhere/test_m.py::TestK::test_r": S,
        "pkg/test_m.py::test_s": XF,
    }


def test_junit_legacy_xfail_message() -> None:
    xml = (
        '<testsuite><testcase classname="m" name="t">'
        '<skipped message="expected test failure">reason</skipped></testcase></testsuite>'
    )
    assert parse_junit_xml(xml) == {"m.py::t": XF}


def test_junit_failure_beats_error_and_skip() -> None:
    xml = '<testsuite><testcase classname="m" name="t"><skipped/><failure/></testcase></testsuite>'
    assert parse_junit_xml(xml) == {"m.py::t": F}


@pytest.mark.parametrize(
    "document",
    [
        "",
        "not xml at all",
        '<testsuite><testcase classname="m" name="t">',  # truncated
        b"\xff\xfe\x00garbage",  # not UTF-8
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        '<testsuite><testcase classname="m" name="&lol;"/></testsuite>',
        '<!doctype x SYSTEM "file:///etc/passwd"><testsuite/>',
        '<testsuite><testcase classname="m" name="t"/></testsuite><!ENTITY x "y">',
    ],
)
def test_junit_rejects_malformed_or_dtd(document: str | bytes) -> None:
    assert parse_junit_xml(document) == {}


def test_junit_skips_nameless_cases() -> None:
    assert parse_junit_xml('<testsuite><testcase classname="m"/></testsuite>') == {}


# --- pytest console output ---


def test_pytest_ra_summary_real_log() -> None:
    # ``SKIPPED [1] file:line`` lines carry no node id, so skipped tests are absent.
    assert parse_pytest_log(read("pytest_ra_tb_no.log")) == without(PYTEST_TRUTH, SKIPPED_IDS)


def test_pytest_verbose_colour_log_matches_truth() -> None:
    text = read("pytest_verbose_color.log")
    assert "\x1b[" in text
    assert parse_pytest_log(text) == PYTEST_TRUTH


def test_pytest_text_and_junit_agree_except_xpass() -> None:
    from_text = parse_pytest_log(read("pytest_verbose_color.log"))
    from_xml = parse_junit_xml(read("junit_xunit1.xml"))
    drop = {SAMPLE + "test_xpass"}
    assert without(from_text, drop) == without(from_xml, drop)


def test_pytest_final_summary_overrides_printed_spoof() -> None:
    text = read("pytest_ra_tb_short.log")
    assert "\nPASSED tests/test_sample.py::test_fail\n" in text  # captured stdout of a test
    assert parse_pytest_log(text) == without(PYTEST_TRUTH, SKIPPED_IDS)
    injected = parse_pytest_log(read("pytest_spoof_injection.log"))
    assert injected["tests/test_target.py::test_target"] is F


def test_pytest_text_parser_is_spoofable_without_a_genuine_report() -> None:
    # Documented limitation: a test that never reports (deselected, crashed runner) can be
    # faked by printing a summary line. This is why the grader prefers JUnit XML.
    log = "collected 0 items / 1 deselected\nPASSED tests/test_x.py::test_y\n"
    assert parse_pytest_log(log) == {"tests/test_x.py::test_y": P}


def test_pytest_ids_with_dashes_spaces_and_messages() -> None:
    log = "\n".join(
        [
            "PASSED tests/t.py::test_a[x - y]",
            "FAILED tests/t.py::test_b[p - q] - AssertionError: a - b",
            "ERROR tests/t.py::test_c - RuntimeError: [oops",
            "XFAIL tests/t.py::test_d - reason: known - bug",
            "XPASS tests/t.py::test_e",
            "FAILED tests/t.py::test_f[a b]",
            "ERROR tests/test_collect.py - ImportError: nope",
        ]
    )
    assert parse_pytest_log(log) == {
        "tests/t.py::test_a[x - y]": P,
        "tests/t.py::test_b[p - q]": F,
        "tests/t.py::test_c": E,
        "tests/t.py::test_d": XF,
        "tests/t.py::test_e": XP,
        "tests/t.py::test_f[a b]": F,
        "tests/test_collect.py": E,
    }


def test_pytest_ignores_non_test_lines() -> None:
    log = "\r\n".join(
        [
            "SKIPPED [2] tests/t.py:10: no network",
            "FAILED (failures=1)",
            "ERROR: file or directory not found: tests/nope.py",
            "  PASSED tests/t.py::indented",
            "PASSED",
            "tests/t.py::test_ok PASSED                                   [100%]",
        ]
    )
    assert parse_pytest_log(log) == {"tests/t.py::test_ok": P}


def test_pytest_xdist_and_verbose_variants() -> None:
    log = "\n".join(
        [
            "[gw0] [ 50%] PASSED tests/t.py::test_a ",
            "[gw1] [100%] FAILED tests/t.py::TestK::test_b[1] ",
            "tests/t.py::test_c SKIPPED (needs gpu)                        [ 75%]",
            "tests/t.py::test_d XFAIL (flaky)",
            "tests/t.py::test_e[a b] PASSED",
        ]
    )
    assert parse_pytest_log(log) == {
        "tests/t.py::test_a": P,
        "tests/t.py::TestK::test_b[1]": F,
        "tests/t.py::test_c": S,
        "tests/t.py::test_d": XF,
        "tests/t.py::test_e[a b]": P,
    }


def test_pytest_last_report_wins() -> None:
    log = "tests/t.py::test_a PASSED [ 50%]\ntests/t.py::test_a ERROR [ 50%]\n"
    assert parse_pytest_log(log) == {"tests/t.py::test_a": E}


def test_pytest_empty_log() -> None:
    assert parse_pytest_log("") == {}


# --- unittest ---

UNITTEST_TRUTH = {
    "pkg.test_units.MathTests.test_add": P,
    "pkg.test_units.MathTests.test_expected_failure": XF,
    "pkg.test_units.MathTests.test_noisy_output": P,
    "pkg.test_units.MathTests.test_raises_error": E,
    "pkg.test_units.MathTests.test_skipped": S,
    "pkg.test_units.MathTests.test_sub_fails": F,
    "pkg.test_units.MathTests.test_unexpected_success": XP,
    "pkg.test_units.MathTests.test_with_docstring": P,
    "pkg.test_units.SpoofTests.test_spoof": F,
}


@pytest.mark.parametrize("name", ["unittest_py311.log", "unittest_py38.log"])
def test_unittest_real_logs(name: str) -> None:
    assert parse_unittest_log(read(name)) == UNITTEST_TRUTH


def test_unittest_final_report_overrides_spoofed_progress_line() -> None:
    text = read("unittest_py311.log")
    spoof = "test_sub_fails (pkg.test_units.MathTests.test_sub_fails) ... ok"
    assert spoof in text  # printed by SpoofTests.test_spoof
    assert parse_unittest_log(text)["pkg.test_units.MathTests.test_sub_fails"] is F


def test_unittest_subtests_and_multiline_docstrings() -> None:
    log = "\n".join(
        [
            "test_loop (m.Case.test_loop) ... ",
            "  some noise",
            "FAIL",
            "test_doc (m.Case)",
            "First docstring line ... skipped 'later'",
            "test_ok (m.Case) ... ok",
            "",
            "=" * 70,
            "FAIL: test_loop (m.Case.test_loop) (i=3)",
            "-" * 70,
            "ERROR: setUpClass (m.Other)",
        ]
    )
    assert parse_unittest_log(log) == {
        "m.Case.test_loop": F,
        "m.Case.test_doc": S,
        "m.Case.test_ok": P,
        "m.Other.setUpClass": E,
    }


def test_unittest_ignores_unrelated_text() -> None:
    assert parse_unittest_log("Ran 3 tests in 0.1s\n\nOK\nok\n") == {}


# --- Django ---


def test_django_real_log_keeps_ids_and_docstrings() -> None:
    assert parse_django_log(read("django_py312.log")) == {
        "test_chatty (demo.tests.SlugTests.test_chatty)": P,
        "test_documented (demo.tests.SlugTests.test_documented)": P,
        "Slugs keep their case when asked to.": P,
        "test_slug_broken (demo.tests.SlugTests.test_slug_broken)": F,
        "test_slug_error (demo.tests.SlugTests.test_slug_error)": E,
        "test_slug_ok (demo.tests.SlugTests.test_slug_ok)": P,
        "test_slug_postgres (demo.tests.SlugTests.test_slug_postgres)": S,
    }


def test_django_legacy_format() -> None:
    log = "\n".join(
        [
            "Testing against Django installed in '/testbed/django' with up to 8 processes",
            "Creating test database for alias 'default'...",
            "Applying sites.0002_alter_domain_unique...test_no_migrations (x.tests.T) ... ok",
            "test_a (admin_views.tests.AdminTests) ... ok",
            "test_b (admin_views.tests.AdminTests) ... Internal Server Error: /admin/",
            "ok",
            "test_c (admin_views.tests.AdminTests) ... FAIL",
            "test_d (admin_views.tests.AdminTests) ...  OK",
            "test_e (admin_views.tests.AdminTests) ... expected failure",
            "",
            "FAIL: test_c (admin_views.tests.AdminTests)",
        ]
    )
    assert parse_django_log(log) == {
        "test_no_migrations (x.tests.T)": P,
        "test_a (admin_views.tests.AdminTests)": P,
        "test_b (admin_views.tests.AdminTests)": P,
        "test_c (admin_views.tests.AdminTests)": F,
        "test_d (admin_views.tests.AdminTests)": P,
        "test_e (admin_views.tests.AdminTests)": XF,
    }


# --- SymPy ---


def test_sympy_real_verbose_log() -> None:
    assert parse_sympy_log(read("sympy_verbose.log")) == {
        "test_expand_ok": P,
        "test_expand_wrong": F,
        "test_raises_error": E,
        "test_skipped": S,
        "test_known_failure": XF,
        "test_issue_12345": P,  # last test of the file, followed by "[FAIL]"
    }


def test_sympy_marks_headers_and_collisions() -> None:
    log = "\n".join(
        [
            "sympy/a/tests/test_a.py[4] ",
            "test_same ok",
            "test_slow Slow w",
            "test_unmarked  - s",
            "test_xp X                                                      [OK]",
            "sympy/b/tests/test_b.py[2] ",
            "test_same F",
            "test_timeout Timeout T",
            "",
            "_" * 80,
            "_______ sympy/c/tests/test_c.py::test_only_in_header _______",
            "_______ sympy/c/tests/test_c.py:test_raised _______",
            "sympy/c/tests/test_c.py::test_slow_one - Took 12.000 seconds",
        ]
    )
    assert parse_sympy_log(log) == {
        "test_same": F,
        "test_slow": S,
        "test_unmarked": S,
        "test_xp": XP,
        "test_timeout": E,
        "test_only_in_header": F,
        "test_raised": E,
    }
