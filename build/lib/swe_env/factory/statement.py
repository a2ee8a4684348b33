"""Problem statements written without a model: the function and the failing tests'
observed-versus-expected assertion output, from the test log.

Only pytest's ``E`` lines (the assertion explanation) are quoted: never the test's source
lines, and nothing of the fix.
"""

from __future__ import annotations

import re
import textwrap

_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
MAX_TESTS = 3
MAX_LINES = 8


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


def write_statement(function: str, path: str, broken: list[str], log: str) -> str:
    """An issue-style report: what misbehaves, where, and what the failing tests observed."""
    sections = failure_lines(log)
    parts = [
        f"`{function}` in `{path}` gives wrong results",
        "",
        f"Calls to `{function}` (defined in `{path}`) no longer behave as documented; "
        f"{len(broken)} test(s) fail:",
    ]
    for test in broken[:MAX_TESTS]:
        found = [s for s in _section_for(test, sections) if s.strip()][:MAX_LINES]
        lines = textwrap.dedent("\n".join(found)).splitlines()
        parts += ["", f"- `{test}`"]
        if lines:
            parts += ["  ```", *(f"  {s}" for s in lines), "  ```"]
    parts += [
        "",
        f"Expected: `{function}` behaves as the tests expect; the rest of the suite passes.",
    ]
    return "\n".join(parts) + "\n"
