"""Environment failures: the test harness could not run, so nothing was learned of the patch.

A grading run *looks like* an environment failure when no test ran (every parsed status is
an ERROR, or nothing parsed at all) and one of these holds:

- the test runner is missing: ``No module named pytest`` (or tox, django, sympy), a shell's
  ``command not found`` / ``not found`` / ``No such file or directory`` for the command,
  ``can't open file``, a bad interpreter line, or exit status 126/127;
- every test errors at collection because a module outside the repository is missing
  (``ModuleNotFoundError: No module named 'yaml'`` where ``yaml`` is no top-level name of
  the repository): a dependency the environment lacks;
- nothing parsed and the test command exited non-zero.

A look is not proof: a patch can cause each of these (``import some_missing_dep`` in the
package, a module deleted, a process that dies at import). So the grader confirms a
suspect run on the base state (the empty patch, hidden tests added) in a fresh container:
only when the base state fails the same way is the grade ``env_error``; otherwise the patch
broke the run and the grade stays ``unresolved``. The empty patch *is* the base state, so
its own run decides.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

__all__ = ["missing_modules", "suspect", "unfindable_command"]

_RUNNER = r"(pytest|py\.test|_pytest|tox|tox_current_env|django|sympy|unittest|nose)"
_RUNNER_MISSING = re.compile(
    rf"No module named '?{_RUNNER}'?(\s|$)"
    r"|^(?:/usr)?(?:/bin/)?(?:ba)?sh: (?:line \d+: |\d+: )?\S+: "
    r"(?:command not found|not found|No such file or directory|Permission denied)$"
    r"|can't open file .*\[Errno 2\]"
    r"|: bad interpreter: ",
    re.MULTILINE,
)
_MISSING_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '([\w.]+)'")
_STARTS = (126, 127)
"""Shell exit statuses of a command that could not be run at all."""


def _no_test_ran(tests: Mapping[str, str]) -> bool:
    return all(str(status) == "ERROR" for status in tests.values())


def missing_modules(log: str) -> list[str]:
    """Top-level names of the modules the log says could not be imported, in order."""
    found: dict[str, None] = {}
    for name in _MISSING_MODULE.findall(log):
        found.setdefault(name.split(".")[0])
    return list(found)


_UNFINDABLE = (
    "import importlib.util as u, sys\n"
    "for n in sys.argv[1:]:\n"
    "    if u.find_spec(n) is None: print(n)\n"
)


def unfindable_command(repo: str, names: list[str]) -> str:
    """Shell text printing which top-level ``names`` (from :func:`missing_modules`) no
    import run from ``repo`` can find: the repository's own modules, in any layout, and
    installed ones are found; nothing is imported or executed."""
    return f"cd {repo} && python -c {shlex.quote(_UNFINDABLE)} " + " ".join(map(shlex.quote, names))


def suspect(
    log: str,
    exit_code: int | None,
    tests: Mapping[str, str],
    outside_repo: list[str] | None = None,
) -> str | None:
    """Why this run looks like an environment failure, or ``None`` when a test ran or the
    run failed in a way only the code under test explains.

    ``outside_repo``: the names among :func:`missing_modules` that are no top-level module
    of the repository (the grader checks that in the container); ``None`` means all of them.
    """
    if not _no_test_ran(tests):
        return None
    if match := _RUNNER_MISSING.search(log):
        return f"the test runner could not start: {match.group(0).strip()[:200]}"
    if exit_code in _STARTS and not tests:
        return f"the test command could not be run (exit status {exit_code})"
    missing = missing_modules(log) if outside_repo is None else outside_repo
    if missing:
        return "every test errors: modules the environment lacks: " + ", ".join(missing[:5])
    if not tests and exit_code not in (0, None):
        return f"no test result could be parsed and the test command exited {exit_code}"
    return None
