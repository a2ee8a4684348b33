"""swe-env's grading plugin for pytest. It runs inside the grading container, never on the host.

The grader copies this file under a random module name into a directory only root can
write, and loads it with ``-p`` while plugin autoloading is off. It must run on every
Python the images carry (3.9 and later) and import nothing but the standard library.

What it does, in the test process:
- Before any repository code is imported, it imports the few modules it needs with the
  repository removed from ``sys.path``, and puts the repository (when the original command
  had it there: ``python -m pytest`` from the repository root) *after* the standard
  library, so no file of the patch can stand in for a standard-library module.
- It records every test outcome from pytest's own reports (node ids exactly as pytest
  prints them).
- At the very end of the session it writes one report, as a single frame, to a file
  descriptor the grader opened: a pipe whose reader is a root process writing a file the
  test user cannot touch. The frame carries a nonce the plugin read, before any repository
  code ran, from a descriptor it then closed. Anything else written to the channel (a
  forged report at import, code at interpreter exit, a forked child) is a second frame or a
  frame without the nonce, and the grader refuses a channel that is not exactly one good
  frame.
- The report also names every module the harness imported before the tests that was
  loaded from the repository, and any copy of pytest, pluggy or this plugin loaded from
  there: the grader treats either as tampering.

This is not a sandbox: code under test runs in this same interpreter and could, with
effort, rewrite this plugin in memory. The grader's other layers (an unprivileged test
user, canary tests, the static scan) are there for that; see rewards/grade.py.
"""

import os
import sys

_REPO = os.path.realpath(os.environ.pop("SWE_GRADE_REPO", "/testbed"))
_FD = int(os.environ.pop("SWE_GRADE_FD", "-1"))
_NONCE_FD = int(os.environ.pop("SWE_GRADE_NONCE_FD", "-1"))
_CWD_ON_PATH = os.environ.pop("SWE_GRADE_CWD_ON_PATH", "") == "1"
_MAGIC = b"\n@@swe-env-grade-report@@\n"
_HARNESS = ("pytest", "_pytest", "pluggy", "iniconfig", __name__)


def _in_repo(path):
    try:
        real = os.path.realpath(path or ".")
    except (OSError, ValueError):
        return False
    return real == _REPO or real.startswith(_REPO + os.sep)


def _stdlib_end(paths):
    """Index just after the last standard-library entry of ``paths``."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    last = -1
    for i, entry in enumerate(paths):
        real = os.path.realpath(entry or ".")
        if "site-packages" in real or "dist-packages" in real:
            continue
        if any(real.startswith(root + os.sep) for root in roots):
            last = i
    return last + 1


def _repo_after_stdlib(paths):
    """``paths`` with every repository entry that came before the standard library moved
    to just after it (entries already after it keep their place)."""
    end = _stdlib_end(paths)
    early = [p for p in paths[:end] if _in_repo(p)]
    head = [p for p in paths[:end] if not _in_repo(p)]
    return head + early + list(paths[end:])


_saved = list(sys.path)
sys.path[:] = [p for p in _saved if not _in_repo(p)]
import json  # noqa: E402  (imported with the repository off the path on purpose)

import pytest  # noqa: E402  (already imported by pytest itself: this only looks it up)

sys.path[:] = _repo_after_stdlib(_saved)
if _CWD_ON_PATH and not any(os.path.realpath(p or ".") == _REPO for p in sys.path):
    sys.path.insert(_stdlib_end(sys.path), _REPO)
del _saved


def _sealed():
    """Read the run's nonce from the descriptor the grader opened (a root-only file the
    test user cannot open by name), close it, and keep the nonce only in a closure."""
    nonce = b""
    if _NONCE_FD >= 0:
        try:
            nonce = os.read(_NONCE_FD, 128).strip()
            os.close(_NONCE_FD)
        except OSError:
            nonce = b""
    write, close = os.write, os.close

    def send(payload):
        data = _MAGIC + nonce + b"\n" + payload + b"\n"
        while data:
            data = data[write(_FD, data) :]
        close(_FD)

    return send


_send = _sealed()
_results = {}
_order = {"PASSED": 0, "SKIPPED": 1, "XFAIL": 2, "XPASS": 3, "ERROR": 4, "FAILED": 5}
_preloaded = sorted(sys.modules)
_exitstatus = [None]


def _record(nodeid, status):
    old = _results.get(nodeid)
    if old is None or _order[status] >= _order[old]:
        _results[nodeid] = status


def pytest_collectreport(report):
    if report.failed:
        _record(report.nodeid, "ERROR")


def pytest_runtest_logreport(report):
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            status = "PASSED"
        elif report.skipped:
            status = "XFAIL" if xfail else "SKIPPED"
        else:
            status = "FAILED"
    elif report.failed:
        status = "ERROR"
    elif report.skipped:
        status = "XFAIL" if xfail else "SKIPPED"
    else:
        return
    _record(report.nodeid, status)


def _foreign_modules():
    """Harness modules (and modules the harness imported first) loaded from the repository."""
    names = set(_preloaded)
    names.update(n for n in sys.modules if n.split(".")[0] in _HARNESS)
    found = []
    for name in sorted(names):
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None) if module is not None else None
        if origin and _in_repo(origin):
            found.append(name + ": " + origin)
    return found


def pytest_sessionfinish(session, exitstatus):
    _exitstatus[0] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if _FD < 0:
        return
    doc = {
        "version": 1,
        "tests": _results,
        "exitstatus": _exitstatus[0],
        "foreign": _foreign_modules(),
        "python": list(sys.version_info[:3]),
    }
    try:
        _send(json.dumps(doc, sort_keys=True).encode("utf-8"))
    except OSError:  # the channel is gone: no report, so nothing passes
        return
