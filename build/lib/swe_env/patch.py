"""The one place that reads unified diffs: paths (with git's quoting), files, hunks.

Everything in swe-env that looks inside a patch goes through here: the grader (which
paths a patch touches, which it may never touch), the tamper scan (added lines), the
similarity reward (hunk text per file), the replay policy (each file's raw diff, binary
payloads intact) and task specs (the paths a test patch owns). Hunks are parsed by
``unidiff``; paths are unquoted as git quotes them. :func:`touched_paths` reads header lines
directly so that it never fails, even on a patch ``unidiff`` rejects: a security check
must not be skipped because a patch is malformed.

This module imports nothing from swe_env: every floor may use it.

Refusals:

A patch is refused before anything is applied when it reaches outside the repository's
files: a path with a ``.git`` component (git configuration, hooks, objects: the grader's
next git command would run them), an absolute path, a ``..`` component, or a symbolic link
whose target leaves the repository or points into ``.git``. ``git apply`` refuses some of
these itself, but the fallback ``patch`` does not, so the check comes first.
"""

from __future__ import annotations

import codecs
import posixpath
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

_PATH_LINE = re.compile(r"^(?:--- |\+\+\+ |rename from |rename to |copy from |copy to )(.+)$")
_GIT_HEADER = re.compile(r'^diff --git ("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$')
_SYMLINK_MODE = re.compile(r"^(?:new file mode|new mode) 120000\s*$")


def unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual paths (``"b/pkg/\\303\\251.py"``)."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        raw = codecs.escape_decode(name[1:-1].encode("utf-8", "surrogateescape"))[0]
        name = raw.decode("utf-8", "surrogateescape")
    return name


def _strip_prefix(name: str) -> str | None:
    name = unquote(name.split("\t")[0])
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in {"a/", "b/"} else name


def touched_paths(patch: str) -> list[str]:
    """Every path a patch adds, modifies, deletes or renames (both sides of renames)."""
    paths: set[str] = set()
    for line in patch.splitlines():
        header = _GIT_HEADER.match(line)
        names = header.groups() if header else ()
        if not header and (m := _PATH_LINE.match(line)):
            names = (m.group(1),)
            if line.startswith(("rename", "copy")):
                names = ("a/" + m.group(1) if not m.group(1).startswith('"') else m.group(1),)
        for name in names:
            if (clean := _strip_prefix(name)) is not None:
                paths.add(clean)
    return sorted(paths)


def unsafe_path(path: str) -> str | None:
    """Why ``path`` (as a patch names it) may not be written, or None if it may."""
    if path.startswith("/"):
        return "an absolute path"
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return "a '..' component"
    if any(part.lower() == ".git" or part.lower().startswith(".git/") for part in parts):
        return "a path inside .git"
    return None


def _symlink_targets(patch: str) -> list[tuple[str, str]]:
    """(link path, target) for every symbolic link the patch creates or retargets."""
    found: list[tuple[str, str]] = []
    current: str | None = None
    symlink = False
    for line in patch.splitlines():
        if header := _GIT_HEADER.match(line):
            current, symlink = _strip_prefix(header.group(2)), False
        elif _SYMLINK_MODE.match(line):
            symlink = True
        elif symlink and current and line.startswith("+") and not line.startswith("+++"):
            found.append((current, line[1:]))
    return found


def refusals(patch: str) -> list[str]:
    """Reasons to refuse ``patch`` outright, one per offending path (empty: it may apply)."""
    problems = [
        f"{path}: {why}" for path in touched_paths(patch) if (why := unsafe_path(path)) is not None
    ]
    for link, target in _symlink_targets(patch):
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
        if (why := unsafe_path(resolved)) is not None or resolved == ".":
            problems.append(f"{link}: a symbolic link to {target!r} ({why or 'the root'})")
    return problems


class PatchError(ValueError):
    """The text is not a unified diff that can be read file by file."""


def _parse(patch: str) -> PatchSet:
    try:
        return PatchSet(patch.replace("\r\n", "\n"))
    except (UnidiffParseError, ValueError, IndexError, TypeError) as exc:
        raise PatchError(f"not a readable unified diff: {exc}") from exc


def _path(name: str | None) -> str | None:
    return None if name is None else _strip_prefix(name)


def added_lines(patch: str) -> Iterator[tuple[str, int, str]]:
    """(path, line number in the new file, text) for every added line.

    Read line by line like :func:`touched_paths`, so it never fails: hunk headers whose
    counts are off still have their lines reported (the tamper scan must see them).
    """
    path: str | None = None
    line_no = 0
    for raw in patch.splitlines():
        if raw.startswith("+++ "):
            path = _strip_prefix(raw[4:])
        elif raw.startswith("@@"):
            m = re.search(r"\+(\d+)", raw)
            line_no = int(m.group(1)) - 1 if m else 0
        elif raw.startswith("-") or path is None:
            continue
        else:
            line_no += 1
            if raw.startswith("+"):
                yield path, line_no, raw[1:]


def hunk_texts(patch: str) -> dict[str, str]:
    """Each touched path (unquoted) → the concatenated text of its hunk lines.

    Raises:
        PatchError: the patch cannot be parsed.
    """
    texts: dict[str, list[str]] = {}
    for patched in _parse(patch):
        path = _path(patched.target_file) or _path(patched.source_file) or patched.path
        chunks = texts.setdefault(path, [])
        for hunk in patched:
            chunks.extend(str(line) for line in hunk)
    return {path: "".join(chunks) for path, chunks in texts.items()}


def file_chunks(patch: str) -> dict[str, str]:
    """The raw text of each file's ``diff --git`` section, keyed by its new path (unquoted;
    the old path for deletions). Binary payloads are kept byte for byte."""
    chunks: dict[str, str] = {}
    for chunk in re.split(r"(?m)^(?=diff --git )", patch):
        header = _GIT_HEADER.match(chunk.split("\n", 1)[0])
        if header:
            old, new = _strip_prefix(header.group(1)), _strip_prefix(header.group(2))
            key = new or old
            if key is not None:
                chunks[key] = chunk
    return chunks
