"""pytest's ``--junitxml`` report: the trustworthy path (see :mod:`rewards.parsers`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rewards.parsers.status import StatusMap, TestStatus, merge

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
        merge(statuses, node_id, _junit_case_status(case))
    return statuses
