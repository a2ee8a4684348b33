"""Turn test-runner output into ``{test_id: TestStatus}`` maps.

Every parser here is pure: it receives the text (or bytes) of a report and returns a fresh
dictionary. Nothing is read from disk, nothing is executed, and malformed input yields an
empty or partial map instead of an exception.

Trust model
-----------
The text parsers (:func:`parse_pytest_log`, :func:`parse_unittest_log`,
:func:`parse_django_log`, :func:`parse_sympy_log`) read a console log that also contains
whatever the code under test chose to print. Code written by the agent can therefore print a
line such as ``PASSED tests/test_x.py::test_y`` and, if the real runner never reports that
test afterwards (because it was deselected, crashed, or the runner was patched), the fake
line is all a text parser sees. The parsers reduce the damage where the log format allows
(the last report of a test wins, so pytest's final summary and unittest's ``FAIL:``/``ERROR:``
blocks override earlier noise), but they are spoofable by construction.

:func:`parse_junit_xml` is the trustworthy path. Captured stdout/stderr lives inside
``<system-out>``/``<system-err>`` elements, which are never read for statuses, and pytest
escapes any markup a test prints. The grader should ask pytest for
``--junitxml=<random path outside the repository>`` (preferably with
``-o junit_family=xunit1`` so each ``<testcase>`` carries its ``file`` attribute) and parse
that file rather than the console log.
"""

from __future__ import annotations

from collections.abc import Callable

from rewards.parsers.junit import parse_junit_xml
from rewards.parsers.pytest_log import parse_pytest_log
from rewards.parsers.status import StatusMap, TestStatus, strip_ansi, worse
from rewards.parsers.sympy_log import parse_sympy_log
from rewards.parsers.unittest_log import parse_django_log, parse_unittest_log

__all__ = [
    "PARSERS",
    "StatusMap",
    "TestStatus",
    "parse_django_log",
    "parse_junit_xml",
    "parse_pytest_log",
    "parse_sympy_log",
    "parse_unittest_log",
    "strip_ansi",
    "worse",
]

PARSERS: dict[str, Callable[[str], StatusMap]] = {
    "junit": parse_junit_xml,
    "pytest": parse_pytest_log,
    "unittest": parse_unittest_log,
    "django": parse_django_log,
    "sympy": parse_sympy_log,
}
"""Parser registry keyed by the name used in task specifications."""
