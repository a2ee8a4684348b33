"""Resolve a path given by the agent to an absolute path inside the repository.

Two checks keep file tools inside ``repo_root``: a lexical one (relative paths are
joined to the root, ``..`` is folded, absolute paths must already lie inside), and a
physical one: the path is canonicalised in the container (``readlink -m``), so a
symbolic link that points out of the repository is refused as well.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass

from swe_env.sandbox.base import Sandbox


@dataclass(frozen=True, slots=True)
class ResolvedPath:
    """An absolute, symlink-free path inside the repository."""

    path: str
    """The canonical absolute path in the container."""
    display: str
    """The path relative to the repository root, for messages."""
    lexical: str
    """The absolute path before symbolic links were followed."""


@dataclass(frozen=True, slots=True)
class PathError:
    """Why a path was refused; ``message`` is meant for the agent."""

    message: str


def inside(path: str, root: str) -> bool:
    """Whether the normalised absolute ``path`` is ``root`` or lies below it."""
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root if root == "/" else root + "/")


def lexical_resolve(path: str, repo_root: str) -> str | PathError:
    """Join ``path`` to ``repo_root`` and fold ``.`` and ``..`` without touching a disk."""
    if not path.strip():
        return PathError("The path is empty.")
    if "\x00" in path or "\n" in path or "\r" in path:
        return PathError("The path contains a NUL byte or a line break.")
    root = posixpath.normpath(repo_root)
    candidate = path.strip()
    joined = candidate if posixpath.isabs(candidate) else posixpath.join(root, candidate)
    normalized = posixpath.normpath(joined)
    if normalized.startswith("//"):  # POSIX keeps a leading double slash; fold it
        normalized = "/" + normalized.lstrip("/")
    if not inside(normalized, root):
        return PathError(
            f"The path {path!r} is outside the repository ({root}). "
            "Only files inside the repository can be read or changed."
        )
    return normalized


def resolve_path(
    sandbox: Sandbox, path: str, repo_root: str, timeout: float = 30.0
) -> ResolvedPath | PathError:
    """Resolve ``path`` (relative to ``repo_root``, or absolute inside it).

    Symbolic links are followed in the container; if the result leaves the repository
    the path is refused. Missing files and directories are fine (``create`` needs
    them). Runs in the sandbox's private shell, so nothing the agent did to its own
    shell (functions, ``PATH``, options) matters. Never raises for bad input;
    infrastructure faults propagate.
    """
    lexical = lexical_resolve(path, repo_root)
    if isinstance(lexical, PathError):
        return lexical
    root = posixpath.normpath(repo_root)
    command = (
        f"command readlink -m -- {shlex.quote(root)} && "
        f"command readlink -m -- {shlex.quote(lexical)}"
    )
    result = sandbox.run_private(command, timeout=timeout)
    lines = [line.rstrip("\r") for line in result.output.strip("\r\n").split("\n")]
    if result.exit_code != 0 or len(lines) != 2 or not all(line.startswith("/") for line in lines):
        return PathError(f"Could not resolve the path {path!r}: {result.render().strip()}")
    real_root, real_path = lines
    if not inside(real_path, real_root):
        return PathError(
            f"The path {path!r} resolves (through a symbolic link) to {real_path}, "
            "which is outside the repository. Only files inside the repository can be "
            "read or changed."
        )
    display = posixpath.relpath(lexical, root)
    return ResolvedPath(path=real_path, display=display, lexical=lexical)
