"""The ``edit`` tool: replace one exact occurrence of a string in a file.

The work happens host-side: the file is read through the sandbox, changed in Python and
written back. When ``old_str`` does not match, the observation explains why as
precisely as it can (whitespace differences, the closest lines), since a failed edit
the agent cannot diagnose wastes turns.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import ToolArguments, ToolContext, ToolResult, as_lines, failure, validated
from swe_env.tools.paths import PathError, ResolvedPath, resolve_path

DESCRIPTION = (
    "Replace text in an existing file. old_str must match the file exactly (including "
    "indentation and whitespace) and occur exactly once; include enough surrounding "
    "lines to make it unique. new_str replaces it (an empty new_str deletes it). "
    "Paths are relative to the repository root. To make a new file, use create."
)

SEARCH_MARK = "<<<<<<< SEARCH"
DIVIDER_MARK = "======="
REPLACE_MARK = ">>>>>>> REPLACE"
MAX_SNIPPET_LINES = 60
MAX_LISTED_MATCHES = 20


@dataclass(frozen=True, slots=True)
class Replacement:
    """A successful replacement: the new text and where the change sits (1-based)."""

    text: str
    first_line: int
    last_line: int


class EditArguments(ToolArguments):
    """The arguments of ``edit``."""

    path: str = Field(description="The file to change.")
    old_str: str = Field(description="The exact text to replace.")
    new_str: str = Field(description="The text to put in its place.")


class EditTool:
    """Exact, unique string replacement in one file."""

    name = "edit"
    description = DESCRIPTION
    arguments_model = EditArguments
    syntax = (
        f"<tool: edit>\n[path]\n{SEARCH_MARK}\n[lines to find]\n{DIVIDER_MARK}\n"
        f"[lines to put instead]\n{REPLACE_MARK}\n</tool>"
    )
    text_help = (
        "Replaces the SEARCH lines with the REPLACE lines. The SEARCH lines must match\n"
        "consecutive lines of the file exactly (indentation and whitespace included), and only\n"
        "once. An empty REPLACE section deletes the lines. One SEARCH/REPLACE block per call."
    )
    text_example = (
        f"<tool: edit>\nsrc/utils/dates.py\n{SEARCH_MARK}\n    if value is None:\n"
        f'        return None\n{DIVIDER_MARK}\n    if value is None or value == "":\n'
        f"        return None\n{REPLACE_MARK}\n</tool>"
    )

    def parse_text(self, body: str) -> dict[str, Any] | str:
        """The path line, then one SEARCH/REPLACE block of whole lines."""
        return parse_edit_body(body)

    def render_text(self, arguments: Mapping[str, Any]) -> str:
        """The path line and a SEARCH/REPLACE block whose sections are whole lines."""
        return (
            f"<tool: edit>\n{arguments['path']}\n{SEARCH_MARK}\n{as_lines(arguments['old_str'])}"
            f"{DIVIDER_MARK}\n{as_lines(arguments['new_str'])}{REPLACE_MARK}\n</tool>"
        )

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Apply the edit, or explain why it could not be applied."""
        args = validated(self.name, EditArguments, arguments)
        if isinstance(args, ToolResult):
            return args
        old = args.old_str
        new = args.new_str
        if not old:
            return failure(
                "edit: old_str is empty. To write a new file use create; to add text to "
                "an existing file, put a nearby line in old_str and repeat it in new_str.",
                "empty_old_str",
            )
        if old == new:
            return failure("edit: old_str and new_str are identical; nothing to do.", "no_change")
        resolved = resolve_path(sandbox, args.path, ctx.repo_root)
        if isinstance(resolved, PathError):
            return failure(f"edit: {resolved.message}", "path")
        text = _read_text(sandbox, resolved, ctx)
        if isinstance(text, ToolResult):
            return text
        outcome = apply_edit(text, old, new)
        if isinstance(outcome, list):
            return _multiple_matches(resolved.display, outcome)
        if outcome is None:
            return failure(
                f"edit: no change made; old_str was not found in {resolved.display}.\n"
                + no_match_hint(text, old),
                "no_match",
            )
        written = _write_text(sandbox, resolved, outcome.text)
        if written is not None:
            return written
        message = _success_message(resolved.display, old, new, outcome, ctx)
        return ToolResult(output=message, ok=True)


def parse_edit_body(body: str) -> dict[str, Any] | str:
    """The arguments in an edit block's body, or what is wrong with it."""
    lines = body.split("\n")
    path = lines[0].strip()
    if path in (SEARCH_MARK, "") or path.startswith(("<<<<<<<", "=======", ">>>>>>>")):
        return "edit needs the file path on the first line of the block, before the SEARCH line."
    rest = [line.rstrip() for line in lines[1:]]
    searches = [i for i, line in enumerate(rest) if line == SEARCH_MARK]
    replaces = [i for i, line in enumerate(rest) if line == REPLACE_MARK]
    if len(searches) != 1 or len(replaces) != 1:
        several = " For several changes, make several edit calls." if len(searches) > 1 else ""
        return (
            f"edit needs exactly one {SEARCH_MARK} line and one {REPLACE_MARK} line (found "
            f"{len(searches)} and {len(replaces)}).{several}"
        )
    search, replace = searches[0], replaces[0]
    dividers = [i for i in range(search + 1, replace) if rest[i] == DIVIDER_MARK]
    if search > replace or not dividers:
        return (
            f"Write the {SEARCH_MARK} line, then a {DIVIDER_MARK} line, then the "
            f"{REPLACE_MARK} line, in that order."
        )
    if len(dividers) > 1:
        return (
            f"Found {len(dividers)} {DIVIDER_MARK} lines between {SEARCH_MARK} and "
            f"{REPLACE_MARK}, so the split is ambiguous. If the file itself has such a "
            "line, change that part with bash instead."
        )
    if any(line.strip() for line in rest[:search]):
        return f"Nothing may stand between the path line and {SEARCH_MARK}."
    if any(line.strip() for line in rest[replace + 1 :]):
        return f"Nothing may follow {REPLACE_MARK} inside the block."
    original = lines[1:]
    return {
        "path": path,
        "old_str": _joined_lines(original[search + 1 : dividers[0]]),
        "new_str": _joined_lines(original[dividers[0] + 1 : replace]),
    }


def _joined_lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def find_occurrences(haystack: str, needle: str) -> list[int]:
    """Start offsets of every (possibly overlapping) occurrence of ``needle``."""
    positions: list[int] = []
    start = haystack.find(needle)
    while start != -1:
        positions.append(start)
        start = haystack.find(needle, start + 1)
    return positions


def apply_edit(text: str, old: str, new: str) -> Replacement | list[int] | None:
    """Replace the single occurrence of ``old`` in ``text``.

    Returns the :class:`Replacement`, the 1-based line numbers of each match when there
    are several, or ``None`` when nothing matches. Two conveniences: a file with CRLF
    line ends also matches an ``old`` written with LF, and a file whose last line has
    no newline matches an ``old`` that ends with one (the file keeps its ending).
    """
    variants = [(old, new)]
    if "\r\n" in text and "\r" not in old:
        variants.append((old.replace("\n", "\r\n"), new.replace("\n", "\r\n")))
    virtual_newline = bool(text) and not text.endswith("\n")
    haystack = text + "\n" if virtual_newline else text
    for old_variant, new_variant in variants:
        positions = find_occurrences(haystack, old_variant)
        if len(positions) > 1:
            return [haystack.count("\n", 0, pos) + 1 for pos in positions]
        if positions:
            pos = positions[0]
            result = haystack[:pos] + new_variant + haystack[pos + len(old_variant) :]
            if virtual_newline and result.endswith("\n"):
                result = result[:-1]
            first = haystack.count("\n", 0, pos) + 1
            last = max(first, first + _count_lines(new_variant) - 1)
            return Replacement(text=result, first_line=first, last_line=last)
    return None


def no_match_hint(text: str, old: str) -> str:
    """Explain a failed match: whitespace-only differences first, else the closest lines."""
    file_lines = text.splitlines()
    old_lines = old.splitlines() or [old]
    tail = "old_str must match the file exactly, including indentation and blank lines."
    spots = _whitespace_matches(file_lines, old_lines)
    if spots:
        first = spots[0]
        where = ", ".join(f"{s}-{s + len(old_lines) - 1}" for s in spots[:MAX_LISTED_MATCHES])
        shown = numbered(file_lines[first - 1 : first - 1 + len(old_lines)], first)
        return (
            f"It does match lines {where} if whitespace is ignored, so indentation, tabs "
            f"or trailing spaces differ. Lines as they are in the file:\n{shown}\n"
            + _first_difference(file_lines, old_lines, first)
            + tail
        )
    best = _closest_window(file_lines, old_lines)
    if best is None:
        return "No similar lines were found in the file; check the path. " + tail
    start, ratio = best
    window = file_lines[start - 1 : start - 1 + min(len(old_lines), MAX_SNIPPET_LINES)]
    return (
        f"The most similar text starts at line {start} ({ratio:.0%} similar):\n"
        f"{numbered(window, start)}\n" + _first_difference(file_lines, old_lines, start) + tail
    )


def numbered(lines: list[str], start: int) -> str:
    """Lines prefixed with their 1-based line numbers, like ``cat -n``."""
    return "\n".join(f"{number:6d}\t{line}" for number, line in enumerate(lines, start))


def _normalize(line: str) -> str:
    return " ".join(line.split())


def _whitespace_matches(file_lines: list[str], old_lines: list[str]) -> list[int]:
    target = [_normalize(line) for line in old_lines]
    if not any(target):
        return []
    size = len(target)
    normalized = [_normalize(line) for line in file_lines]
    return [
        i + 1
        for i in range(len(normalized) - size + 1)
        if normalized[i] == target[0] and normalized[i : i + size] == target
    ]


def _closest_window(file_lines: list[str], old_lines: list[str]) -> tuple[int, float] | None:
    """The 1-based start of the window of file lines most like ``old_lines``."""
    anchor_index = next((i for i, line in enumerate(old_lines) if line.strip()), None)
    if anchor_index is None or not file_lines:
        return None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(old_lines[anchor_index].strip())
    scored: list[tuple[float, int]] = []
    for i, line in enumerate(file_lines):
        matcher.set_seq1(line.strip())
        if matcher.real_quick_ratio() >= 0.5 and matcher.quick_ratio() >= 0.5:
            ratio = matcher.ratio()
            if ratio >= 0.5:
                scored.append((ratio, i))
    if not scored:
        return None
    scored.sort(key=lambda item: -item[0])
    target = "\n".join(old_lines)
    best: tuple[float, int] | None = None
    for _, i in scored[:10]:
        start = max(0, i - anchor_index)
        window = "\n".join(file_lines[start : start + len(old_lines)])
        ratio = difflib.SequenceMatcher(None, window, target, autojunk=False).ratio()
        if best is None or ratio > best[0]:
            best = (ratio, start)
    assert best is not None
    return best[1] + 1, best[0]


def _first_difference(file_lines: list[str], old_lines: list[str], start: int) -> str:
    for offset, wanted in enumerate(old_lines):
        index = start - 1 + offset
        actual = file_lines[index] if index < len(file_lines) else None
        if actual != wanted:
            shown = "(end of file)" if actual is None else repr(actual)
            return (
                f"First difference: line {offset + 1} of old_str is {wanted!r}, "
                f"but line {index + 1} of the file is {shown}.\n"
            )
    return ""


def _count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _read_text(sandbox: Sandbox, resolved: ResolvedPath, ctx: ToolContext) -> str | ToolResult:
    name = resolved.display
    try:
        data = sandbox.read_file(resolved.path, max_bytes=ctx.max_file_bytes)
    except (FileNotFoundError, NotADirectoryError):
        return failure(f"edit: {name} does not exist. Use create to make a new file.", "not_found")
    except IsADirectoryError:
        return failure(f"edit: {name} is a directory, not a file.", "is_directory")
    except PermissionError:
        return failure(f"edit: permission denied reading {name}.", "permission")
    except ValueError:
        return failure(
            f"edit: {name} is larger than {ctx.max_file_bytes} bytes; change it with bash "
            "(sed, python) instead.",
            "too_large",
        )
    except OSError as exc:
        return failure(f"edit: could not read {name}: {exc}", "io")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return failure(
            f"edit: {name} is not UTF-8 text (invalid byte at offset {exc.start}); "
            "change it with bash instead.",
            "encoding",
        )


def _write_text(sandbox: Sandbox, resolved: ResolvedPath, text: str) -> ToolResult | None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return failure("edit: new_str is not valid Unicode (lone surrogate).", "encoding")
    try:
        sandbox.write_file(resolved.path, data, mode=None)  # keep the file's mode
    except OSError as exc:
        return failure(f"edit: could not write {resolved.display}: {exc}", "io")
    return None


def _multiple_matches(display: str, lines: list[int]) -> ToolResult:
    listed = ", ".join(str(n) for n in lines[:MAX_LISTED_MATCHES])
    if len(lines) > MAX_LISTED_MATCHES:
        listed += ", ..."
    return failure(
        f"edit: no change made; old_str occurs {len(lines)} times in {display} "
        f"(starting at lines {listed}). Add surrounding lines to old_str so that it "
        "matches exactly one place.",
        "multiple_matches",
    )


def _success_message(
    display: str, old: str, new: str, outcome: Replacement, ctx: ToolContext
) -> str:
    lines = outcome.text.split("\n")
    if outcome.text.endswith("\n"):
        lines.pop()
    start = max(1, outcome.first_line - ctx.snippet_lines)
    end = min(len(lines), outcome.last_line + ctx.snippet_lines)
    if end - start + 1 > MAX_SNIPPET_LINES:
        half = MAX_SNIPPET_LINES // 2
        snippet = (
            numbered(lines[start - 1 : start - 1 + half], start)
            + "\n   ...\n"
            + numbered(lines[end - half : end], end - half + 1)
        )
    else:
        snippet = numbered(lines[start - 1 : end], start)
    total = _count_lines(outcome.text)
    return (
        f"Edited {display}: replaced {_count_lines(old)} line(s) at line {outcome.first_line} "
        f"with {_count_lines(new)} line(s); the file now has {total} lines.\n"
        f"Lines {start}-{end} after the edit:\n{snippet}\n"
        "Check the result (indentation, duplicated or missing lines) and edit again if needed."
    )
