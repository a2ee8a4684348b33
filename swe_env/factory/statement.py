"""Problem statements from the failing behaviour: the facts (what misbehaves, where, and
the failing tests' observed-versus-expected assertion output, from the test log), written
by a template, or by a model (:mod:`.model`) from the very same facts.

Only pytest's ``E`` lines (the assertion explanation) are quoted: never the test's source
lines, and nothing of the fix.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
MAX_TESTS = 3
MAX_LINES = 8
TEMPLATE = "template"


@dataclass
class Facts:
    """What a statement may say: the subject (a function, or a package), where it lives,
    how many tests fail, and for the first few of them their assertion output."""

    subject: str
    where: str
    broken: int
    failures: list[tuple[str, list[str]]] = field(default_factory=list)
    mined: bool = False
    """A change from history (missing or wrong behaviour), not a mutated function."""


def failure_lines(log: str) -> dict[str, list[str]]:
    """The ``E`` lines of each failure section, by the section's test name."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in log.splitlines():
        if m := _SECTION.match(line):
            current = found.setdefault(m.group(1).strip(), [])
        elif current is not None and line.startswith("E "):
            current.append(line[2:].rstrip())
    return found


def _section_for(test_id: str, sections: dict[str, list[str]]) -> list[str]:
    tail = test_id.split("::")
    for key in (".".join(tail[1:]), tail[-1]):
        if key in sections:
            return sections[key]
    return []


def facts(subject: str, where: str, broken: list[str], log: str, mined: bool = False) -> Facts:
    """The facts of a task whose tests ``broken`` fail in ``log``."""
    sections = failure_lines(log)
    failures = []
    for test in broken[:MAX_TESTS]:
        found = [s for s in _section_for(test, sections) if s.strip()][:MAX_LINES]
        failures.append((test, textwrap.dedent("\n".join(found)).splitlines()))
    return Facts(subject, where, len(broken), failures, mined)


def render(f: Facts) -> str:
    """An issue-style report from the facts, with no model."""
    if f.mined:
        parts = [
            f"`{f.subject}`: behaviour the tests expect is missing or wrong",
            "",
            f"In `{f.where}`, {f.broken} test(s) fail:",
        ]
    else:
        parts = [
            f"`{f.subject}` in `{f.where}` gives wrong results",
            "",
            f"Calls to `{f.subject}` (defined in `{f.where}`) no longer behave as documented; "
            f"{f.broken} test(s) fail:",
        ]
    for test, lines in f.failures:
        parts += ["", f"- `{test}`"]
        if lines:
            parts += ["  ```", *(f"  {s}" for s in lines), "  ```"]
    parts += ["", f"Expected: `{f.subject}` behaves as the tests expect; the rest passes."]
    return "\n".join(parts) + "\n"


def write_statement(function: str, path: str, broken: list[str], log: str) -> str:
    """The template statement of a mutated function (see :func:`render`)."""
    return render(facts(function, path, broken, log))
