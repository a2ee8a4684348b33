"""Verbose unittest output, and Django's test runner (the same format, ids kept as printed)."""

from __future__ import annotations

import re
from collections.abc import Callable

from rewards.parsers.status import StatusMap, TestStatus, clean_lines

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
    for line in clean_lines(log):
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
