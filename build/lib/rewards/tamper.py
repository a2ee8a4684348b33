"""A scan of submitted patches for code that reaches into the test harness.

Grading restores test files and harness hooks (conftest.py, sitecustomize.py, .pth,
pytest config, modules that would shadow pytest), but the project's own modules are
imported by the tests, so a patch can still monkeypatch pytest from inside them
(rewrite ``TestReport`` outcomes, register hooks, overwrite the report at exit). No
in-process check can be complete; this scan catches the direct forms. Under strict
grading (native suites) a finding makes the patch unresolved; tasks whose project is
itself a test framework opt out with ``metadata: {allow_test_harness_code: true}``.
"""

from __future__ import annotations

import re

from swe_env.patch import added_lines

_PATTERNS = [
    (re.compile(r"\b_pytest\b"), "imports pytest internals (_pytest)"),
    (re.compile(r"\bpluggy\b"), "uses pluggy (pytest's hook system)"),
    (re.compile(r"\bhookimpl\b|\bhookwrapper\b"), "registers a pytest hook"),
    (
        re.compile(r"\bpytest_(runtest|report|collect|sessionfinish|terminal|configure|load)"),
        "defines a pytest hook",
    ),
    (re.compile(r"\bTestReport\b|\bCallInfo\b"), "touches pytest's test reports"),
    (re.compile(r"junit|--junitxml", re.IGNORECASE), "refers to the JUnit report"),
    (re.compile(r"^\s*(import pytest\b|from pytest\b)"), "imports pytest outside the tests"),
    (re.compile(r"sys\.modules\s*\[\s*['\"](py)?test"), "replaces a test module in sys.modules"),
]


def scan_patch(patch: str, is_exempt: object = None) -> list[str]:
    """Findings as ``path:line: reason`` for added lines of non-exempt files.

    ``is_exempt(path)`` says which files to skip (the grader passes its protected-path
    test: those files are restored before the tests run anyway).
    """
    findings: list[str] = []
    for path, line_no, text in added_lines(patch):
        if callable(is_exempt) and is_exempt(path):
            continue
        for pattern, reason in _PATTERNS:
            if pattern.search(text):
                findings.append(f"{path}:{line_no}: {reason}")
                break
    return findings
