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

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from enum import StrEnum

__all__ = [
    "PARSERS",
    "TestStatus",
    "parse_django_log",
    "parse_junit_xml",
    "parse_pytest_log",
    "parse_sympy_log",
    "parse_unittest_log",
    "strip_ansi",
    "worse",
]


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


def _merge(statuses: StatusMap, key: str, status: TestStatus) -> None:
    """Record ``status`` for ``key``, keeping the worse outcome if one is already there."""
    previous = statuses.get(key)
    statuses[key] = status if previous is None else worse(previous, status)


def _clean_lines(log: str) -> Iterator[str]:
    for line in strip_ansi(log).splitlines():
        yield line.rstrip()


# --- JUnit XML ---

_FORBIDDEN_XML = ("<!DOCTYPE", "<!ENTITY")


def _junit_classes(classname: str, module: str) -> list[str]:
    """Split a dotted junit ``classname`` into the class chain that follows ``module``."""
    if module and classname == module:
        return []
    if module and classname.startswith(module + "."):
        return classname[len(module) + 1 :].split(".")
    # No usable module: treat the trailing run of capitalised components as classes.
    parts = classname.split(".")
    start = len(parts)
    while start > 1 and parts[start - 1][:1].isupper():
        start -= 1
    return parts[start:]


def _junit_node_id(classname: str, name: str, file: str) -> str:
    """Rebuild a pytest node id (``path.py::Class::test[param]``) from junit attributes."""
    if not file:
        if not classname:  # collection error: ``name`` is the dotted module path
            return name.replace(".", "/") + ".py"
        classes = _junit_classes(classname, "")
        module = classname.removesuffix("." + ".".join(classes)) if classes else classname
        file = module.replace(".", "/") + ".py"
    path = file.replace("\\", "/")
    module = path.removesuffix(".py").replace("/", ".")
    if not classname and name == module:  # collection error with a ``file`` attribute
        return path
    return "::".join([path, *_junit_classes(classname, module), name])


def _junit_case_status(case: ET.Element) -> TestStatus:
    tags = {child.tag: child for child in case}
    if "failure" in tags:
        return TestStatus.FAILED
    if "error" in tags:
        return TestStatus.ERROR
    skipped = tags.get("skipped")
    if skipped is not None:
        # pytest >= 5.x marks xfail with a type; older releases only with this message.
        xfail = skipped.get("type") == "pytest.xfail"
        xfail = xfail or skipped.get("message") == "expected test failure"
        return TestStatus.XFAIL if xfail else TestStatus.SKIPPED
    return TestStatus.PASSED


def parse_junit_xml(xml: str | bytes) -> StatusMap:
    """Parse a pytest ``--junitxml`` report into ``{node_id: status}``.

    Node ids are rebuilt as pytest prints them (``tests/test_x.py::TestC::test_y[1]``). With
    the ``xunit1`` family the ``file`` attribute gives the path directly; with ``xunit2``
    (pytest's default) the path is derived from the dotted ``classname``, taking its trailing
    capitalised components as classes. A collection error maps to the module path alone.

    A ``<failure>`` child gives FAILED, ``<error>`` ERROR, ``<skipped type="pytest.xfail">``
    (old pytest: ``message="expected test failure"``) XFAIL, other ``<skipped>`` SKIPPED,
    and no such child PASSED. pytest writes a non-strict XPASS as a plain passing case, so
    XPASS never appears here. When one id occurs several times the worst outcome is kept.
    ``<system-out>`` and ``<system-err>`` are ignored.

    Documents containing a DTD or entity declaration, undecodable bytes, or XML syntax errors
    (including truncated files) give ``{}``.
    """
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8")
        except UnicodeDecodeError:
            return {}
    xml = xml.removeprefix("\ufeff")
    upper = xml.upper()
    if any(marker in upper for marker in _FORBIDDEN_XML):
        return {}
    try:
        root = ET.fromstring(xml)
    except (ET.ParseError, ValueError):
        return {}
    statuses: StatusMap = {}
    for case in root.iter("testcase"):
        name = case.get("name", "")
        if not name:
            continue
        node_id = _junit_node_id(case.get("classname", ""), name, case.get("file", ""))
        _merge(statuses, node_id, _junit_case_status(case))
    return statuses


# --- pytest console output ---

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
    for raw in _clean_lines(log):
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


# --- unittest / Django console output ---

# ``test_name (dotted.qualifier)`` optionally followed by a subTest description.
_UT_HEADER_RE = re.compile(r"^(?P<name>[^\s(]+) \((?P<qual>[^\s()]+)\)(?: \(.*\))?$")
_UT_RESULT_RE = re.compile(r"^(?P<label>FAIL|ERROR|UNEXPECTED SUCCESS): (?P<test>.+)$")
_UT_WORDS = {
    "ok": TestStatus.PASSED,
    "OK": TestStatus.PASSED,
    "FAIL": TestStatus.FAILED,
    "ERROR": TestStatus.ERROR,
    "skipped": TestStatus.SKIPPED,
    "expected failure": TestStatus.XFAIL,
    "unexpected success": TestStatus.XPASS,
    "UNEXPECTED SUCCESS": TestStatus.XPASS,  # label of a final-report block
}


def _unittest_word(text: str) -> TestStatus | None:
    """Map the word unittest prints after `` ... `` to a status, or ``None``."""
    word = text.strip()
    return _UT_WORDS.get("skipped" if word.startswith("skipped ") else word)


def _dotted_id(header: str) -> str | None:
    """``test_a (pkg.mod.Case)`` or ``test_a (pkg.mod.Case.test_a)`` -> ``pkg.mod.Case.test_a``."""
    match = _UT_HEADER_RE.match(header.strip())
    if not match:
        return None
    name, qual = match["name"], match["qual"]
    return qual if qual.endswith("." + name) else f"{qual}.{name}"


def _raw_id(header: str) -> str | None:
    """Keep a unittest header as printed (minus any subTest suffix), as SWE-bench's Django
    task lists do."""
    match = _UT_HEADER_RE.match(header.strip())
    return f"{match['name']} ({match['qual']})" if match else None


def _parse_unittest_like(log: str, make_id: Callable[[str], str | None], raw: bool) -> StatusMap:
    """Shared state machine for verbose unittest output.

    Handles ``header ... word`` lines, output printed between `` ... `` and the word (the
    word then arrives alone on a later line), and docstring descriptions (the header stands
    alone and the description line carries `` ... word``). ``FAIL:``/``ERROR:`` blocks of the
    final report are applied last and override the progress lines. With ``raw`` a docstring
    description is also recorded verbatim as an id, as SWE-bench's Django parser does.
    """
    statuses: StatusMap = {}
    overrides: StatusMap = {}
    pending: str | None = None  # test whose word has not been printed yet
    described: str | None = None  # header seen alone; a description line follows
    for line in _clean_lines(log):
        stripped = line.strip()
        result = _UT_RESULT_RE.match(stripped)
        if result:
            test_id = make_id(result["test"])
            if test_id:
                overrides[test_id] = _UT_WORDS[result["label"]]
            pending = described = None
            continue
        if " ... " in stripped:
            head, tail = stripped.split(" ... ", 1)
            keys = [make_id(head)]
            if keys[0] is None and described is not None:
                keys = [described, head] if raw else [described]
            elif keys[0] is None and "..." in head:
                # Django migration chatter glued to the header: "Applying x...test_a (m.C)"
                keys = [make_id(head.rsplit("...", 1)[1])]
            described = None
            if keys[0] is None:
                continue
            word = _unittest_word(tail)
            if word is None:
                pending = keys[0]
                continue
            for key in keys:
                if key is not None:
                    statuses[key] = word
            continue
        header_only = make_id(stripped)
        if header_only is not None:
            described = header_only
            continue
        word = _unittest_word(stripped)
        if word is not None and pending is not None:
            statuses[pending] = word
            pending = None
    statuses.update(overrides)
    return statuses


def parse_unittest_log(log: str) -> StatusMap:
    """Parse ``python -m unittest -v`` output into ``{dotted_id: status}``.

    Both header formats (``test_a (pkg.mod.Case)`` before Python 3.11 and
    ``test_a (pkg.mod.Case.test_a)`` since) are normalised to ``pkg.mod.Case.test_a``.
    ``ok`` gives PASSED, ``FAIL`` FAILED, ``ERROR`` ERROR, ``skipped ...`` SKIPPED,
    ``expected failure`` XFAIL and ``unexpected success`` XPASS. The ``FAIL:``, ``ERROR:``
    and ``UNEXPECTED SUCCESS:`` blocks at the end override earlier progress lines.
    """
    return _parse_unittest_like(log, _dotted_id, raw=False)


def parse_django_log(log: str) -> StatusMap:
    """Parse Django ``runtests.py --verbosity 2`` output into ``{header: status}``.

    Ids are kept exactly as printed (``test_a (app.tests.Case)``, or with the method name
    repeated on Python 3.11+), matching the FAIL_TO_PASS/PASS_TO_PASS lists of SWE-bench's
    Django instances. When a test has a docstring, its first line is what precedes
    `` ... ok``; both that line and the header above it are recorded. Status words and the
    final ``FAIL:``/``ERROR:`` overrides behave as in :func:`parse_unittest_log`.
    """
    return _parse_unittest_like(log, _raw_id, raw=True)


# --- SymPy bin/test ---

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
    for line in _clean_lines(log):
        stripped = line.strip()
        match = _SYMPY_LINE_RE.match(stripped)
        if match:
            _merge(statuses, match["name"], _SYMPY_MARKS[match["mark"] or match["skip"]])
            continue
        header = _SYMPY_HEADER_RE.match(stripped)
        if header:
            failed = header["sep"] == "::"
            _merge(statuses, header["name"], TestStatus.FAILED if failed else TestStatus.ERROR)
    return statuses


PARSERS: dict[str, Callable[[str], StatusMap]] = {
    "junit": parse_junit_xml,
    "pytest": parse_pytest_log,
    "unittest": parse_unittest_log,
    "django": parse_django_log,
    "sympy": parse_sympy_log,
}
"""Parser registry keyed by the name used in task specifications."""
