"""The Sandbox protocol: what tools, grading and environments may ask of a container.

The sandbox knows no task, tool or environment. Lifecycle (``start``/``close``) is kept
apart from execution (``run``, ``run_private``, ``read_file``, ``write_file``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Ended = Literal["exit", "timeout", "shell_exited", "shell_broken", "container_restarted"]
"""How a command ended: see :attr:`CommandResult.ended`."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The outcome of one shell command, as the agent should see it.

    ``output`` holds stdout and stderr interleaved, decoded as UTF-8 with invalid bytes
    replaced by U+FFFD, and capped (head and tail kept, with a marker in between).
    """

    output: str
    exit_code: int | None
    """The command's exit status; ``None`` unless :attr:`ended` is ``"exit"``."""
    timed_out: bool = False
    truncated_bytes: int = 0
    """How many bytes of output were cut from the middle."""
    session_restarted: bool = False
    """A fresh shell was started (after this command, or before it because the previous
    one had died): cwd and environment variables were reset."""
    duration: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Human-readable notes for the agent (timeouts, restarts, cuts)."""
    ended: Ended = "exit"
    """``"exit"``: the command finished (see :attr:`exit_code`); ``"timeout"``: it was
    killed at the timeout; ``"shell_exited"``: the shell's process ended (``exit``,
    ``kill``, ``set -e``, ``exec``); ``"shell_broken"``: the shell stopped answering its
    framing and was replaced; ``"container_restarted"``: no shell could be started, so the
    container was restarted (every process killed, files kept)."""

    def render(self) -> str:
        """The observation text: output followed by any notes."""
        parts = [self.output] if self.output else []
        parts.extend(f"[{note}]" for note in self.notes)
        return "\n".join(parts)


@runtime_checkable
class Sandbox(Protocol):
    """A running, isolated container with one persistent shell.

    Raises:
        SandboxClosed: any call after :meth:`close`.
        SandboxError: the container vanished or the engine failed (infrastructure).
    """

    @property
    def id(self) -> str:
        """The backend's identifier for the container."""
        ...

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` in the persistent shell; cwd and env persist between calls.

        Failures of the command itself (non-zero exit, timeout, endless output, a shell
        it broke or ended) are reported in the result, never raised.
        """
        ...

    def run_private(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run ``command`` for the tools, outside the agent's shell: a bash of its own
        with a fixed environment, cwd ``/`` and nothing the agent's commands set
        (functions, options, traps, limits, variables). Failures are reported in the
        result, never raised.
        """
        ...

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        """Return the bytes of ``path`` (absolute, inside the container).

        Raises:
            FileNotFoundError: no such file.
            IsADirectoryError: ``path`` is a directory.
            OSError: another error the path explains (errno set).
            ValueError: the file is larger than ``max_bytes``.
        """
        ...

    def write_file(self, path: str, data: bytes, mode: int | None = 0o644) -> None:
        """Write ``data`` to ``path`` (absolute), creating parent directories.

        ``mode=None`` keeps the mode of an existing file (0644 for a new one).

        Raises:
            IsADirectoryError: ``path`` is a directory.
            OSError: another error the path explains (name too long, a parent that is a
                file, no space left; errno set).
        """
        ...

    def close(self) -> None:
        """Remove the container. Idempotent."""
        ...
